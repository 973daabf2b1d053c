package host

import (
	"time"

	"github.com/shopbridge/shopbridge/config"
)

// buildProductFlows makes the link's products and stock flows.
func (h *Host) buildProductFlows(l *Link) {}

// registerProductJobs registers the products, stock and initial-sync job
// handlers.
func (h *Host) registerProductJobs() {}

// schedulePeriodicProducts adds the link's product pulls and the
// reconciliations behind the webhooks.
func (h *Host) schedulePeriodicProducts(lc *config.Link, add func(kind string, every time.Duration) error) error {
	return nil
}
