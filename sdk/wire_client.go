package sdk

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	pb "github.com/shopbridge/shopbridge/proto/shopbridge/connector/v1"
)

// RemoteConnector is the host's handle on a connector process speaking
// protocol version 1. Connector authors do not need it.
type RemoteConnector struct {
	c  pb.ConnectorServiceClient
	cc grpc.ClientConnInterface
}

func newRemote(cc *grpc.ClientConn) *RemoteConnector {
	return &RemoteConnector{c: pb.NewConnectorServiceClient(cc), cc: cc}
}

// fromStatus turns a gRPC status back into an *Error with its class. A
// status without our detail comes from gRPC itself (the process died, the
// connection broke), which is worth retrying.
func fromStatus(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	if !ok {
		return err
	}
	for _, d := range st.Details() {
		if e, ok := d.(*pb.Error); ok {
			return errorFromProto(e)
		}
	}
	switch st.Code() {
	case codes.Canceled:
		return context.Canceled
	case codes.DeadlineExceeded:
		return context.DeadlineExceeded
	case codes.Unavailable:
		return &Error{Class: ClassRetryable, Message: "connector unavailable: " + st.Message(), cause: err}
	case codes.Unimplemented:
		return &Error{Class: ClassUnsupported, Message: st.Message(), cause: err}
	}
	return &Error{Class: ClassUnknown, Message: st.Message(), cause: err}
}

// Describe asks the connector what it is.
func (r *RemoteConnector) Describe(ctx context.Context) (Description, error) {
	res, err := r.c.Describe(ctx, &pb.DescribeRequest{})
	if err != nil {
		return Description{}, fromStatus(err)
	}
	if res.ProtocolVersion != ProtocolVersion {
		return Description{}, fmt.Errorf("connector %s speaks protocol %d inside a version-%d handshake", res.Name, res.ProtocolVersion, ProtocolVersion)
	}
	return describeFromProto(res), nil
}

// OpenLink opens a link in the connector process and returns a handle that
// implements Link and every optional interface; calls the connector does
// not support fail with ClassUnsupported.
func (r *RemoteConnector) OpenLink(ctx context.Context, linkID string, settings json.RawMessage, creds *Credentials) (*RemoteLink, error) {
	res, err := r.c.OpenLink(ctx, &pb.OpenLinkRequest{LinkId: linkID, SettingsJson: settings, Credentials: credentialsToProto(creds)})
	if err != nil {
		return nil, fromStatus(err)
	}
	return &RemoteLink{c: r.c, cc: r.cc, id: linkID, account: res.Account}, nil
}

// RemoteLink is an open link in a connector process.
type RemoteLink struct {
	c       pb.ConnectorServiceClient
	cc      grpc.ClientConnInterface
	id      string
	account string
}

var (
	_ Link           = (*RemoteLink)(nil)
	_ ProductReader  = (*RemoteLink)(nil)
	_ ProductWriter  = (*RemoteLink)(nil)
	_ OrderReader    = (*RemoteLink)(nil)
	_ StockReader    = (*RemoteLink)(nil)
	_ StockWriter    = (*RemoteLink)(nil)
	_ WebhookHandler = (*RemoteLink)(nil)
	_ LocationLister = (*RemoteLink)(nil)
	_ CategoryLister = (*RemoteLink)(nil)
	_ Authorizer     = (*RemoteLink)(nil)
)

// ID is the link id.
func (l *RemoteLink) ID() string { return l.id }

// Account is the channel account the connector reported at open.
func (l *RemoteLink) Account() string { return l.account }

// Close closes the link in the connector process.
func (l *RemoteLink) Close(ctx context.Context) error {
	_, err := l.c.CloseLink(ctx, &pb.CloseLinkRequest{LinkId: l.id})
	return fromStatus(err)
}

// Check asks the connector to reach the channel.
func (l *RemoteLink) Check(ctx context.Context) (CheckReport, error) {
	res, err := l.c.Check(ctx, &pb.CheckRequest{LinkId: l.id})
	if err != nil {
		return CheckReport{}, fromStatus(err)
	}
	rep := CheckReport{Account: res.Account}
	for _, it := range res.Items {
		rep.Items = append(rep.Items, CheckItem{Name: it.Name, OK: it.Ok, Detail: it.Detail, Hint: it.Hint})
	}
	return rep, nil
}

// ListLocations lists the channel's locations.
func (l *RemoteLink) ListLocations(ctx context.Context) ([]Location, error) {
	res, err := l.c.ListLocations(ctx, &pb.ListLocationsRequest{LinkId: l.id})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]Location, len(res.Locations))
	for i, x := range res.Locations {
		out[i] = Location{ID: x.Id, Name: x.Name, Kind: x.Kind, ParentID: x.ParentId, IsDefault: x.IsDefault}
	}
	return out, nil
}

// ListCategories lists the channel's categories.
func (l *RemoteLink) ListCategories(ctx context.Context) ([]Category, error) {
	res, err := l.c.ListCategories(ctx, &pb.ListCategoriesRequest{LinkId: l.id})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]Category, len(res.Categories))
	for i, x := range res.Categories {
		out[i] = Category{ID: x.Id, Name: x.Name, ParentID: x.ParentId}
	}
	return out, nil
}

// recvAll drains a server stream, converting each message and handing it
// to emit; an error from emit cancels the stream.
func recvAll[M any, T any](ctx context.Context, cancel context.CancelFunc, stream grpc.ServerStreamingClient[M], conv func(*M) (Page[T], error), emit func(Page[T]) error) error {
	defer cancel()
	for {
		m, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromStatus(err)
		}
		p, err := conv(m)
		if err != nil {
			return err
		}
		if err := emit(p); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// ReadProducts streams product pages from the connector. Pages are read
// by wireCodec straight into sdk.ProductPage (wire_products.go).
func (l *RemoteLink) ReadProducts(ctx context.Context, req ReadRequest, emit func(ProductPage) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stream, err := l.c.ReadProducts(ctx, &pb.ReadProductsRequest{LinkId: l.id, Cursor: req.Cursor, Ids: req.IDs, Skus: req.SKUs, PageSize: int32(req.PageSize), AllowBulk: req.AllowBulk}, forceCodec)
	if err != nil {
		return fromStatus(err)
	}
	for {
		var m productPageMsg
		err := stream.RecvMsg(&m)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fromStatus(err)
		}
		if m.err != nil {
			return m.err
		}
		if err := emit(m.page); err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
}

// WriteProducts sends a batch of product writes.
func (l *RemoteLink) WriteProducts(ctx context.Context, writes []ProductWrite) ([]ProductWriteResult, error) {
	// wireCodec writes the request straight from writes and reads the
	// answer straight into results.
	res := new(writeResultsMsg)
	if err := l.cc.Invoke(ctx, pb.ConnectorService_WriteProducts_FullMethodName, &writeProductsMsg{linkID: l.id, writes: writes}, res, forceCodec); err != nil {
		return nil, fromStatus(err)
	}
	if res.results == nil {
		return []ProductWriteResult{}, nil
	}
	return res.results, nil
}

// ReadOrders streams order pages from the connector.
func (l *RemoteLink) ReadOrders(ctx context.Context, req ReadRequest, emit func(OrderPage) error) error {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := l.c.ReadOrders(ctx, &pb.ReadOrdersRequest{LinkId: l.id, Cursor: req.Cursor, Ids: req.IDs, PageSize: int32(req.PageSize)})
	if err != nil {
		cancel()
		return fromStatus(err)
	}
	return recvAll(ctx, cancel, stream, func(m *pb.ReadOrdersResponse) (OrderPage, error) {
		p := OrderPage{Cursor: m.Cursor, Last: m.Last, TotalEstimate: m.TotalEstimate, Items: make([]Order, len(m.Orders))}
		for i, x := range m.Orders {
			var err error
			if p.Items[i], err = orderFromProto(x); err != nil {
				return p, fmt.Errorf("connector sent a bad order %q: %w", x.Id, err)
			}
		}
		return p, nil
	}, emit)
}

// ReadStock streams stock pages from the connector.
func (l *RemoteLink) ReadStock(ctx context.Context, req StockReadRequest, emit func(StockPage) error) error {
	ctx, cancel := context.WithCancel(ctx)
	stream, err := l.c.ReadStock(ctx, &pb.ReadStockRequest{LinkId: l.id, Cursor: req.Cursor, Skus: req.SKUs, LocationIds: req.LocationIDs, PageSize: int32(req.PageSize), Name: quantityToProto[req.Quantity]})
	if err != nil {
		cancel()
		return fromStatus(err)
	}
	return recvAll(ctx, cancel, stream, func(m *pb.ReadStockResponse) (StockPage, error) {
		p := StockPage{Cursor: m.Cursor, Last: m.Last, TotalEstimate: m.TotalEstimate, Items: make([]StockLevel, len(m.Levels))}
		for i, x := range m.Levels {
			p.Items[i] = levelFromProto(x)
		}
		return p, nil
	}, emit)
}

// WriteStock sends a batch of stock writes.
func (l *RemoteLink) WriteStock(ctx context.Context, req StockWriteRequest) ([]StockWriteResult, error) {
	in := &pb.WriteStockRequest{LinkId: l.id, IdempotencyKey: req.IdempotencyKey, Name: quantityToProto[req.Quantity], Rows: make([]*pb.StockWrite, len(req.Rows))}
	for i, r := range req.Rows {
		in.Rows[i] = &pb.StockWrite{Key: r.Key, Level: levelToProto(r.Level), ExpectedQuantity: r.Expected}
	}
	res, err := l.c.WriteStock(ctx, in)
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]StockWriteResult, len(res.Results))
	for i, r := range res.Results {
		out[i] = StockWriteResult{Key: r.Key, Err: errorFromProto(r.Error), Previous: r.PreviousQuantity, Replayed: r.Replayed}
	}
	return out, nil
}

// EnsureWebhooks subscribes the link's webhooks.
func (l *RemoteLink) EnsureWebhooks(ctx context.Context, callbackURL string, topics []string) ([]WebhookSubscription, error) {
	res, err := l.c.EnsureWebhooks(ctx, &pb.EnsureWebhooksRequest{LinkId: l.id, CallbackUrl: callbackURL, Topics: topics})
	if err != nil {
		return nil, fromStatus(err)
	}
	out := make([]WebhookSubscription, len(res.Subscriptions))
	for i, s := range res.Subscriptions {
		out[i] = WebhookSubscription{Topic: s.Topic, ID: s.Id, Created: s.Created}
	}
	return out, nil
}

// HandleWebhook asks the connector to verify and read a delivery.
func (l *RemoteLink) HandleWebhook(ctx context.Context, w Webhook) (WebhookResult, error) {
	res, err := l.c.HandleWebhook(ctx, &pb.HandleWebhookRequest{LinkId: l.id, Headers: headersToProto(w.Header), Body: w.Body})
	if err != nil {
		return WebhookResult{}, fromStatus(err)
	}
	out := WebhookResult{DeliveryID: res.DeliveryId}
	for _, e := range res.Events {
		out.Events = append(out.Events, Event{Type: e.Type, ID: e.Id, SKU: e.Sku, OccurredAt: tsFromProto(e.OccurredAt)})
	}
	return out, nil
}

// StartAuthorization returns the URL an operator opens to install the link.
func (l *RemoteLink) StartAuthorization(ctx context.Context, redirectURL, state string) (string, error) {
	res, err := l.c.StartAuthorization(ctx, &pb.StartAuthorizationRequest{LinkId: l.id, RedirectUrl: redirectURL, State: state})
	if err != nil {
		return "", fromStatus(err)
	}
	return res.AuthorizeUrl, nil
}

// CompleteAuthorization exchanges the callback's query for credentials.
func (l *RemoteLink) CompleteAuthorization(ctx context.Context, redirectURL string, query url.Values) (Credentials, error) {
	res, err := l.c.CompleteAuthorization(ctx, &pb.CompleteAuthorizationRequest{LinkId: l.id, RedirectUrl: redirectURL, Query: headersToProto(query)})
	if err != nil {
		return Credentials{}, fromStatus(err)
	}
	if c := credentialsFromProto(res.Credentials); c != nil {
		return *c, nil
	}
	return Credentials{}, nil
}

// RefreshAuthorization renews credentials before they expire.
func (l *RemoteLink) RefreshAuthorization(ctx context.Context, c Credentials) (Credentials, error) {
	res, err := l.c.RefreshAuthorization(ctx, &pb.RefreshAuthorizationRequest{LinkId: l.id, Credentials: credentialsToProto(&c)})
	if err != nil {
		return Credentials{}, fromStatus(err)
	}
	if c := credentialsFromProto(res.Credentials); c != nil {
		return *c, nil
	}
	return Credentials{}, nil
}
