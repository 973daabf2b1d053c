package sdk

import (
	"context"

	pb "github.com/shopbridge/shopbridge/proto/shopbridge/connector/v1"
)

// The RateLimitStatus call, both sides. It was added to protocol 1 after
// the first connectors shipped: a connector built before it answers
// UNIMPLEMENTED, which reaches the host as ClassUnsupported, like a link
// type without RateLimitReporter.

var _ RateLimitReporter = (*RemoteLink)(nil)

// RateLimitStatus asks the connector how much of the channel's rate limit
// the link has left.
func (l *RemoteLink) RateLimitStatus(ctx context.Context) (RateLimit, error) {
	res, err := l.c.RateLimitStatus(ctx, &pb.RateLimitStatusRequest{LinkId: l.id})
	if err != nil {
		return RateLimit{}, fromStatus(err)
	}
	return RateLimit{Available: res.Available, Capacity: res.Capacity, RestorePerSecond: res.RestorePerSecond, Unit: res.Unit}, nil
}

func (s *server) RateLimitStatus(ctx context.Context, req *pb.RateLimitStatusRequest) (*pb.RateLimitStatusResponse, error) {
	l, err := s.link(req.LinkId)
	if err != nil {
		return nil, err
	}
	r, ok := l.(RateLimitReporter)
	if !ok {
		return nil, toStatus(Unsupported("connector %s does not report its rate limit", s.desc.Name))
	}
	rl, err := r.RateLimitStatus(ctx)
	if err != nil {
		return nil, toStatus(err)
	}
	return &pb.RateLimitStatusResponse{Available: rl.Available, Capacity: rl.Capacity, RestorePerSecond: rl.RestorePerSecond, Unit: rl.Unit}, nil
}
