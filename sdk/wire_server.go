package sdk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/hashicorp/go-hclog"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/shopbridge/shopbridge/proto/shopbridge/connector/v1"
)

// server adapts a Connector to the protocol-1 gRPC service. It holds the
// open links of every link id the host has opened on this process.
type server struct {
	pb.UnimplementedConnectorServiceServer
	impl Connector
	desc Description
	log  hclog.Logger

	mu    sync.RWMutex
	links map[string]Link
}

func registerServer(s *grpc.Server, c Connector, log hclog.Logger) {
	if log == nil {
		log = hclog.NewNullLogger()
	}
	s.RegisterService(serviceDesc(), &server{impl: c, desc: c.Describe(), log: log, links: map[string]Link{}})
}

// capabilityInterfaces says which interface each capability requires, so a
// connector that declares more than it implements fails at OpenLink with a
// message its author can act on, not later with a confusing "unsupported".
var capabilityInterfaces = map[Capability]func(Link) bool{
	CapProductsRead:  func(l Link) bool { _, ok := l.(ProductReader); return ok },
	CapProductsWrite: func(l Link) bool { _, ok := l.(ProductWriter); return ok },
	CapOrdersRead:    func(l Link) bool { _, ok := l.(OrderReader); return ok },
	CapStockRead:     func(l Link) bool { _, ok := l.(StockReader); return ok },
	CapStockWrite:    func(l Link) bool { _, ok := l.(StockWriter); return ok },
	CapWebhooks:      func(l Link) bool { _, ok := l.(WebhookHandler); return ok },
	CapLocations:     func(l Link) bool { _, ok := l.(LocationLister); return ok },
	CapCategories:    func(l Link) bool { _, ok := l.(CategoryLister); return ok },
	CapAuthorize:     func(l Link) bool { _, ok := l.(Authorizer); return ok },
}

// toStatus carries err across the wire with its class as a status detail.
func toStatus(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.Canceled) {
		return status.Error(codes.Canceled, err.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	e := AsError(err)
	st := status.New(classToCode[e.Class], e.Error())
	if withDetail, derr := st.WithDetails(errorToProto(e)); derr == nil {
		st = withDetail
	}
	return st.Err()
}

var classToCode = map[Class]codes.Code{
	ClassUnknown:         codes.Unknown,
	ClassRetryable:       codes.Unavailable,
	ClassRateLimited:     codes.ResourceExhausted,
	ClassInvalid:         codes.InvalidArgument,
	ClassNotFound:        codes.NotFound,
	ClassConflict:        codes.Aborted,
	ClassUnauthenticated: codes.Unauthenticated,
	ClassUnsupported:     codes.Unimplemented,
}

func (s *server) link(id string) (Link, error) {
	s.mu.RLock()
	l, ok := s.links[id]
	s.mu.RUnlock()
	if !ok {
		return nil, toStatus(NotFound("link %q is not open on connector %s: the host must open it first", id, s.desc.Name))
	}
	return l, nil
}

func (s *server) Describe(context.Context, *pb.DescribeRequest) (*pb.DescribeResponse, error) {
	return describeToProto(s.desc), nil
}

func (s *server) OpenLink(ctx context.Context, req *pb.OpenLinkRequest) (*pb.OpenLinkResponse, error) {
	if req.LinkId == "" {
		return nil, toStatus(Invalid("link_id", "is empty"))
	}
	l, err := s.impl.OpenLink(ctx, OpenRequest{
		LinkID:      req.LinkId,
		Settings:    req.SettingsJson,
		Credentials: credentialsFromProto(req.Credentials),
		Logger:      s.log.With("link", req.LinkId),
	})
	if err != nil {
		return nil, toStatus(err)
	}
	for _, c := range s.desc.Capabilities {
		if has, known := capabilityInterfaces[c]; known && !has(l) {
			_ = l.Close(ctx)
			return nil, toStatus(Errorf(ClassUnsupported, "connector %s declares capability %q but its link type %T does not implement the matching sdk interface", s.desc.Name, c, l))
		}
	}
	s.mu.Lock()
	old := s.links[req.LinkId]
	s.links[req.LinkId] = l
	s.mu.Unlock()
	if old != nil {
		_ = old.Close(ctx)
	}
	return &pb.OpenLinkResponse{Account: l.Account()}, nil
}

func (s *server) CloseLink(ctx context.Context, req *pb.CloseLinkRequest) (*pb.CloseLinkResponse, error) {
	s.mu.Lock()
	l := s.links[req.LinkId]
	delete(s.links, req.LinkId)
	s.mu.Unlock()
	if l != nil {
		if err := l.Close(ctx); err != nil {
			return nil, toStatus(err)
		}
	}
	return &pb.CloseLinkResponse{}, nil
}

func (s *server) Check(ctx context.Context, req *pb.CheckRequest) (*pb.CheckResponse, error) {
	l, err := s.link(req.LinkId)
	if err != nil {
		return nil, err
	}
	rep, err := l.Check(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.CheckResponse{Account: rep.Account}
	for _, it := range rep.Items {
		out.Items = append(out.Items, &pb.CheckItem{Name: it.Name, Ok: it.OK, Detail: it.Detail, Hint: it.Hint})
	}
	return out, nil
}

// capable returns the link as interface T, or an Unsupported status when
// the connector does not declare the capability: the declaration is the
// contract the host plans by, so an undeclared call is refused even when
// the link happens to implement it.
func capable[T any](s *server, id string, c Capability) (T, error) {
	var zero T
	l, err := s.link(id)
	if err != nil {
		return zero, err
	}
	t, ok := l.(T)
	if !ok || !s.desc.Has(c) {
		return zero, toStatus(Unsupported("connector %s does not declare capability %q", s.desc.Name, c))
	}
	return t, nil
}

func (s *server) ListLocations(ctx context.Context, req *pb.ListLocationsRequest) (*pb.ListLocationsResponse, error) {
	l, err := capable[LocationLister](s, req.LinkId, CapLocations)
	if err != nil {
		return nil, err
	}
	locs, err := l.ListLocations(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ListLocationsResponse{}
	for _, x := range locs {
		out.Locations = append(out.Locations, &pb.Location{Id: x.ID, Name: x.Name, Kind: x.Kind, ParentId: x.ParentID, IsDefault: x.IsDefault})
	}
	return out, nil
}

func (s *server) ListCategories(ctx context.Context, req *pb.ListCategoriesRequest) (*pb.ListCategoriesResponse, error) {
	l, err := capable[CategoryLister](s, req.LinkId, CapCategories)
	if err != nil {
		return nil, err
	}
	cats, err := l.ListCategories(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.ListCategoriesResponse{}
	for _, x := range cats {
		out.Categories = append(out.Categories, &pb.Category{Id: x.ID, Name: x.Name, ParentId: x.ParentID})
	}
	return out, nil
}

func readRequestFromProto(cursor string, ids, skus []string, pageSize int32) ReadRequest {
	return ReadRequest{Cursor: cursor, IDs: ids, SKUs: skus, PageSize: int(pageSize)}
}

func (s *server) ReadProducts(req *pb.ReadProductsRequest, stream grpc.ServerStreamingServer[pb.ReadProductsResponse]) error {
	l, err := capable[ProductReader](s, req.LinkId, CapProductsRead)
	if err != nil {
		return err
	}
	rr := readRequestFromProto(req.Cursor, req.Ids, req.Skus, req.PageSize)
	rr.AllowBulk = req.AllowBulk
	// A new message per page: gRPC does not promise that a sent message
	// is no longer read once Send returns.
	fast := codecActive()
	err = l.ReadProducts(stream.Context(), rr, func(p ProductPage) error {
		if fast {
			// wireCodec writes the page's bytes straight from p.
			return stream.SendMsg(&productPageMsg{page: p})
		}
		msg := &pb.ReadProductsResponse{Products: make([]*pb.Product, 0, len(p.Items))}
		for i := range p.Items {
			msg.Products = append(msg.Products, productToProto(&p.Items[i]))
		}
		msg.Cursor, msg.Last, msg.TotalEstimate = p.Cursor, p.Last, p.TotalEstimate
		return stream.Send(msg)
	})
	return toStatus(err)
}

func (s *server) WriteProducts(ctx context.Context, req *pb.WriteProductsRequest) (*pb.WriteProductsResponse, error) {
	writes := make([]ProductWrite, len(req.Items))
	for i, it := range req.Items {
		p := Product{}
		if it.Product != nil {
			var err error
			if p, err = productFromProto(it.Product); err != nil {
				return nil, toStatus(fmt.Errorf("items[%d]: %w", i, err))
			}
		}
		writes[i] = ProductWrite{Key: it.Key, Product: p, IdempotencyKey: it.IdempotencyKey, Fields: it.Fields}
	}
	results, err := s.writeProducts(ctx, &writeProductsMsg{linkID: req.LinkId, writes: writes})
	if err != nil {
		return nil, err
	}
	out := &pb.WriteProductsResponse{Results: make([]*pb.ProductWriteResult, len(results))}
	for i := range results {
		r := &results[i]
		out.Results[i] = &pb.ProductWriteResult{Key: r.Key, Product: productToProto(&r.Product), Error: errorToProto(r.Err)}
	}
	return out, nil
}

// writeProducts serves a WriteProducts request read by wireCodec
// (writeProductsHandler) or, without it, converted by WriteProducts.
func (s *server) writeProducts(ctx context.Context, req *writeProductsMsg) ([]ProductWriteResult, error) {
	l, err := capable[ProductWriter](s, req.linkID, CapProductsWrite)
	if err != nil {
		return nil, err
	}
	if req.err != nil {
		return nil, toStatus(req.err)
	}
	results, err := l.WriteProducts(ctx, req.writes)
	if err != nil {
		return nil, toStatus(err)
	}
	return results, nil
}

func (s *server) ReadOrders(req *pb.ReadOrdersRequest, stream grpc.ServerStreamingServer[pb.ReadOrdersResponse]) error {
	l, err := capable[OrderReader](s, req.LinkId, CapOrdersRead)
	if err != nil {
		return err
	}
	err = l.ReadOrders(stream.Context(), readRequestFromProto(req.Cursor, req.Ids, nil, req.PageSize), func(p OrderPage) error {
		msg := &pb.ReadOrdersResponse{Orders: make([]*pb.Order, 0, len(p.Items))}
		for i := range p.Items {
			msg.Orders = append(msg.Orders, orderToProto(&p.Items[i]))
		}
		msg.Cursor, msg.Last, msg.TotalEstimate = p.Cursor, p.Last, p.TotalEstimate
		return stream.Send(msg)
	})
	return toStatus(err)
}

func (s *server) ReadStock(req *pb.ReadStockRequest, stream grpc.ServerStreamingServer[pb.ReadStockResponse]) error {
	l, err := capable[StockReader](s, req.LinkId, CapStockRead)
	if err != nil {
		return err
	}
	rr := StockReadRequest{
		ReadRequest: readRequestFromProto(req.Cursor, nil, req.Skus, req.PageSize),
		LocationIDs: req.LocationIds, Quantity: quantityFromProto(req.Name),
	}
	err = l.ReadStock(stream.Context(), rr, func(p StockPage) error {
		msg := &pb.ReadStockResponse{Levels: make([]*pb.StockLevel, 0, len(p.Items))}
		for _, lv := range p.Items {
			msg.Levels = append(msg.Levels, levelToProto(lv))
		}
		msg.Cursor, msg.Last, msg.TotalEstimate = p.Cursor, p.Last, p.TotalEstimate
		return stream.Send(msg)
	})
	return toStatus(err)
}

func (s *server) WriteStock(ctx context.Context, req *pb.WriteStockRequest) (*pb.WriteStockResponse, error) {
	l, err := capable[StockWriter](s, req.LinkId, CapStockWrite)
	if err != nil {
		return nil, err
	}
	wr := StockWriteRequest{IdempotencyKey: req.IdempotencyKey, Quantity: quantityFromProto(req.Name), Rows: make([]StockWrite, len(req.Rows))}
	for i, r := range req.Rows {
		wr.Rows[i] = StockWrite{Key: r.Key, Level: levelFromProto(r.Level), Expected: r.ExpectedQuantity}
	}
	results, err := l.WriteStock(ctx, wr)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.WriteStockResponse{Results: make([]*pb.StockWriteResult, len(results))}
	for i, r := range results {
		out.Results[i] = &pb.StockWriteResult{Key: r.Key, Error: errorToProto(r.Err), PreviousQuantity: r.Previous, Replayed: r.Replayed}
	}
	return out, nil
}

func (s *server) EnsureWebhooks(ctx context.Context, req *pb.EnsureWebhooksRequest) (*pb.EnsureWebhooksResponse, error) {
	l, err := capable[WebhookHandler](s, req.LinkId, CapWebhooks)
	if err != nil {
		return nil, err
	}
	subs, err := l.EnsureWebhooks(ctx, req.CallbackUrl, req.Topics)
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.EnsureWebhooksResponse{}
	for _, sub := range subs {
		out.Subscriptions = append(out.Subscriptions, &pb.WebhookSubscription{Topic: sub.Topic, Id: sub.ID, Created: sub.Created})
	}
	return out, nil
}

func (s *server) HandleWebhook(ctx context.Context, req *pb.HandleWebhookRequest) (*pb.HandleWebhookResponse, error) {
	l, err := capable[WebhookHandler](s, req.LinkId, CapWebhooks)
	if err != nil {
		return nil, err
	}
	res, err := l.HandleWebhook(ctx, Webhook{Header: headersFromProto(req.Headers), Body: req.Body})
	if err != nil {
		return nil, toStatus(err)
	}
	out := &pb.HandleWebhookResponse{DeliveryId: res.DeliveryID}
	for _, e := range res.Events {
		out.Events = append(out.Events, &pb.Event{Type: e.Type, Id: e.ID, Sku: e.SKU, OccurredAt: tsToProto(e.OccurredAt)})
	}
	return out, nil
}

func (s *server) StartAuthorization(ctx context.Context, req *pb.StartAuthorizationRequest) (*pb.StartAuthorizationResponse, error) {
	l, err := capable[Authorizer](s, req.LinkId, CapAuthorize)
	if err != nil {
		return nil, err
	}
	u, err := l.StartAuthorization(ctx, req.RedirectUrl, req.State)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.StartAuthorizationResponse{AuthorizeUrl: u}, nil
}

func (s *server) CompleteAuthorization(ctx context.Context, req *pb.CompleteAuthorizationRequest) (*pb.CompleteAuthorizationResponse, error) {
	l, err := capable[Authorizer](s, req.LinkId, CapAuthorize)
	if err != nil {
		return nil, err
	}
	c, err := l.CompleteAuthorization(ctx, req.RedirectUrl, queryFromProto(req.Query))
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.CompleteAuthorizationResponse{Credentials: credentialsToProto(&c)}, nil
}

func (s *server) RefreshAuthorization(ctx context.Context, req *pb.RefreshAuthorizationRequest) (*pb.RefreshAuthorizationResponse, error) {
	l, err := capable[Authorizer](s, req.LinkId, CapAuthorize)
	if err != nil {
		return nil, err
	}
	var in Credentials
	if c := credentialsFromProto(req.Credentials); c != nil {
		in = *c
	}
	c, err := l.RefreshAuthorization(ctx, in)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.RefreshAuthorizationResponse{Credentials: credentialsToProto(&c)}, nil
}
