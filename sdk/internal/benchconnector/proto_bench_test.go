package benchconnector_test

import (
	"testing"
	"time"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"

	pb "github.com/shopbridge/shopbridge/proto/shopbridge/connector/v1"
	"github.com/shopbridge/shopbridge/sdk"
	"github.com/shopbridge/shopbridge/sdk/internal/benchconnector"
)

// BenchmarkProtoPage encodes and decodes one 500-product page of the bench
// catalogue with protobuf-go alone, on one goroutine, with no gRPC, TLS,
// socket or conversion to the SDK's types. It was the floor under the
// boundary figures while pages crossed as generated messages; the SDK's
// codec now writes and reads them without those (BenchmarkProductCodec in
// sdk/, conversions included), so this is the reference it is measured
// against.
//
//	go test -run '^$' -bench ProtoPage ./sdk/internal/benchconnector/
func BenchmarkProtoPage(b *testing.B) {
	const size = 500
	msg := &pb.ReadProductsResponse{Cursor: "after:499"}
	variants := make([]sdk.Variant, 3)
	for i := range size {
		var p sdk.Product
		benchconnector.Fill(&p, variants, int64(i))
		msg.Products = append(msg.Products, toProto(&p))
	}
	wire, err := proto.Marshal(msg)
	if err != nil {
		b.Fatal(err)
	}
	b.Run("marshal", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			if _, err := proto.Marshal(msg); err != nil {
				b.Fatal(err)
			}
		}
		report(b, b.N*size, time.Since(start))
	})
	b.Run("unmarshal", func(b *testing.B) {
		b.SetBytes(int64(len(wire)))
		b.ReportAllocs()
		start := time.Now()
		for b.Loop() {
			var out pb.ReadProductsResponse
			if err := proto.Unmarshal(wire, &out); err != nil {
				b.Fatal(err)
			}
		}
		report(b, b.N*size, time.Since(start))
	})
}

// toProto mirrors the SDK's own conversion for the fields the bench
// catalogue fills.
func toProto(p *sdk.Product) *pb.Product {
	out := &pb.Product{Id: p.ID, Title: p.Title, Description: p.Description, Category: p.Category, Vendor: p.Vendor,
		Status: p.Status, UpdatedAt: timestamppb.New(p.UpdatedAt)}
	for _, v := range p.Variants {
		out.Variants = append(out.Variants, &pb.Variant{
			Id: v.ID, Sku: v.SKU, Title: v.Title, Barcode: v.Barcode,
			Price:            &pb.Money{Amount: v.Price.Amount.String(), Currency: v.Price.Currency},
			PriceIncludesVat: v.PriceIncludesVAT,
			Cost:             &pb.Money{Amount: v.Cost.Amount.String(), Currency: v.Cost.Currency},
			Weight:           &pb.Weight{Value: v.Weight.Value.String(), Unit: pb.WeightUnit_WEIGHT_UNIT_GRAMS},
			InventoryItemId:  v.InventoryItemID, Options: v.Options, UpdatedAt: timestamppb.New(v.UpdatedAt),
		})
	}
	return out
}
