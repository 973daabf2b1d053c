package rackbeat

import "net/http"

func (s *Server) routes() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { notFound(w, "Route") })
	m.HandleFunc("GET /api/self", s.self)

	m.HandleFunc("GET /api/products", s.listProducts)
	m.HandleFunc("POST /api/products", s.createProduct)
	m.HandleFunc("GET /api/products/{number}", s.getProduct)
	m.HandleFunc("PUT /api/products/{number}", s.updateProduct)
	m.HandleFunc("DELETE /api/products/{number}", s.deleteProduct)
	m.HandleFunc("GET /api/products/{number}/fields", s.productFields)
	m.HandleFunc("GET /api/products/{number}/locations", s.productLocations)

	m.HandleFunc("GET /api/items", s.listItems)
	m.HandleFunc("GET /api/items/{number}", s.getItem)

	m.HandleFunc("GET /api/product-groups", s.listGroups)
	m.HandleFunc("POST /api/product-groups", s.createGroup)
	m.HandleFunc("GET /api/product-groups/{number}", s.getGroup)
	m.HandleFunc("PUT /api/product-groups/{number}", s.updateGroup)

	m.HandleFunc("GET /api/lots", s.listLots)
	m.HandleFunc("POST /api/lots", s.createLot)
	m.HandleFunc("GET /api/lots/{number}", s.getLot)
	m.HandleFunc("PUT /api/lots/{number}", s.updateLot)
	m.HandleFunc("DELETE /api/lots/{number}", s.deleteLot)

	m.HandleFunc("GET /api/locations", s.listLocations)
	m.HandleFunc("GET /api/locations/{number}", s.getLocation)

	m.HandleFunc("GET /api/fields", s.listFields)
	m.HandleFunc("POST /api/fields", s.createField)

	m.HandleFunc("GET /api/customers", s.listCustomers)
	m.HandleFunc("POST /api/customers", s.createCustomer)
	m.HandleFunc("GET /api/customers/{number}", s.getCustomer)
	m.HandleFunc("GET /api/customer-groups", s.listCustomerGroups)
	m.HandleFunc("GET /api/employees", s.listEmployees)
	m.HandleFunc("GET /api/payment-terms", s.listPaymentTerms)

	m.HandleFunc("GET /api/orders", s.listOrders)
	m.HandleFunc("POST /api/orders", s.createOrder(false))
	m.HandleFunc("POST /api/orders/drafts", s.createOrder(true))
	m.HandleFunc("GET /api/orders/{number}", s.getOrder)
	m.HandleFunc("PUT /api/orders/{number}", s.updateOrder)
	m.HandleFunc("POST /api/orders/{number}/book", s.bookOrder)
	m.HandleFunc("POST /api/orders/{number}/create-shipment", s.createShipment)
	m.HandleFunc("POST /api/orders/{number}/convert-to-invoice", s.convertToInvoice)
	m.HandleFunc("POST /api/orders/{number}/cancel", s.cancelOrder)
	m.HandleFunc("PUT /api/orders/{number}/fields", s.orderFields)

	m.HandleFunc("GET /api/inventory-adjustments", s.listAdjustments)
	m.HandleFunc("POST /api/inventory-adjustments", s.createAdjustment)

	m.HandleFunc("GET /api/webhooks", s.listWebhooks)
	m.HandleFunc("POST /api/webhooks", s.createWebhook)
	m.HandleFunc("PUT /api/webhooks/{id}", s.updateWebhook)
	m.HandleFunc("DELETE /api/webhooks/{id}", s.deleteWebhook)
	return m
}
