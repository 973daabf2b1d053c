package schedule_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopbridge/shopbridge/core/schedule"
	"github.com/shopbridge/shopbridge/core/state"
	"github.com/shopbridge/shopbridge/core/state/statetest"
)

// BenchmarkEnqueueTx measures a webhook's durable part: record the delivery
// id and enqueue its job in one transaction.
func BenchmarkEnqueueTx(b *testing.B) {
	for _, be := range statetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			db := statetest.Open(b, be)
			s, err := schedule.New(db, nil, schedule.Options{})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.ResetTimer()
			for i := range b.N {
				err := db.InTx(ctx, func(tx *state.Tx) error {
					if _, err := tx.MarkDeliverySeen("bench", fmt.Sprint(i)); err != nil {
						return err
					}
					_, err := s.EnqueueTx(ctx, tx, schedule.OrdersImport{Link: "shop", ChannelOrderID: fmt.Sprint(i)})
					return err
				})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkRunJobs measures jobs worked per second end to end (enqueued
// beforehand, empty handler): the scheduler's own overhead per job.
func BenchmarkRunJobs(b *testing.B) {
	for _, be := range statetest.Backends(b) {
		b.Run(be.Name, func(b *testing.B) {
			db := statetest.Open(b, be)
			s, err := schedule.New(db, nil, schedule.Options{Workers: 10, PerLinkConcurrency: -1, PollInterval: 50 * time.Millisecond})
			if err != nil {
				b.Fatal(err)
			}
			var done atomic.Int64
			s.Handle(schedule.KindStockPush, func(context.Context, schedule.Job) error { done.Add(1); return nil })
			ctx := context.Background()
			for i := range b.N {
				if _, err := s.Enqueue(ctx, schedule.StockPush{Link: "shop", SKU: fmt.Sprint(i)}); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			if err := s.Start(ctx); err != nil {
				b.Fatal(err)
			}
			for done.Load() < int64(b.N) {
				time.Sleep(5 * time.Millisecond)
			}
			b.StopTimer()
			_ = s.Stop(ctx)
		})
	}
}
