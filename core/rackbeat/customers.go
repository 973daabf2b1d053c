package rackbeat

import (
	"context"
	"encoding/json"
	"iter"
	"net/http"
	"strconv"
	"strings"
)

// Customer is a Rackbeat customer (debtor).
type Customer struct {
	ID              int64   `json:"id"`
	Number          int64   `json:"number"`
	CompanyName     string  `json:"company_name"`
	ContactEmail    string  `json:"contact_email"`
	Phone           string  `json:"phone"`
	Currency        string  `json:"currency"`
	VATZone         string  `json:"vat_zone"`
	PaymentTermsID  int64   `json:"payment_terms_id"`
	CustomerGroupID int64   `json:"customer_group_id"`
	EmployeeID      int64   `json:"employee_id"`
	Locale          string  `json:"locale"`
	Address         Address `json:"-"`
	CreatedAt       Time    `json:"created_at"`
	UpdatedAt       Time    `json:"updated_at"`
}

// Address is a postal address; customers carry theirs flat, orders nest them.
type Address struct {
	Street  string `json:"address_street,omitempty"`
	City    string `json:"address_city,omitempty"`
	Zipcode string `json:"address_zipcode,omitempty"`
	Country string `json:"address_country,omitempty"`
}

// UnmarshalJSON reads a customer whose address fields sit beside the others.
func (cu *Customer) UnmarshalJSON(b []byte) error {
	type plain Customer
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	if err := json.Unmarshal(b, &p.Address); err != nil {
		return err
	}
	*cu = Customer(p)
	return nil
}

// CustomerInput creates a customer. Zero values are left out, so Rackbeat's
// defaults apply (Number 0: Rackbeat numbers it).
type CustomerInput struct {
	Number          int64  `json:"number,omitempty"`
	CompanyName     string `json:"company_name"`
	ContactEmail    string `json:"contact_email,omitempty"`
	Phone           string `json:"phone,omitempty"`
	Currency        string `json:"currency,omitempty"`
	VATZone         string `json:"vat_zone,omitempty"`
	PaymentTermsID  int64  `json:"payment_terms_id,omitempty"`
	CustomerGroupID int64  `json:"customer_group_id,omitempty"`
	EmployeeID      int64  `json:"employee_id,omitempty"`
	Locale          string `json:"locale,omitempty"`
	Address
}

var customerList = list{path: "customers", key: "customers", what: "customers"}

// Customers walks every customer matching f.
func (c *Client) Customers(ctx context.Context, f Filter) iter.Seq2[Customer, error] {
	return all[Customer](ctx, c, customerList, f)
}

// Customer reads one customer by number.
func (c *Client) Customer(ctx context.Context, number int64) (Customer, error) {
	var cu Customer
	n := strconv.FormatInt(number, 10)
	err := c.one(ctx, request{method: http.MethodGet, path: "customers/" + n, op: "get customer " + n}, "customer", &cu)
	return cu, err
}

// FindCustomerByEmail returns the customer whose contact e-mail is email
// (compared without regard to case) and whether there is one. When several
// match, the lowest number wins, so repeated look-ups agree.
func (c *Client) FindCustomerByEmail(ctx context.Context, email string) (Customer, bool, error) {
	email = strings.TrimSpace(email)
	if email == "" {
		return Customer{}, false, nil
	}
	f := Filter{Simple: map[string]string{"contact_email": email}, Limit: 20}
	var best Customer
	found := false
	for cu, err := range c.Customers(ctx, f) {
		if err != nil {
			return Customer{}, false, err
		}
		// The filter may match loosely; only an exact address counts.
		if !strings.EqualFold(strings.TrimSpace(cu.ContactEmail), email) {
			continue
		}
		if !found || cu.Number < best.Number {
			best, found = cu, true
		}
	}
	return best, found, nil
}

// CreateCustomer creates a customer.
func (c *Client) CreateCustomer(ctx context.Context, in CustomerInput) (Customer, error) {
	var cu Customer
	who := in.ContactEmail
	if who == "" {
		who = in.CompanyName
	}
	err := c.one(ctx, request{method: http.MethodPost, path: "customers", body: in, op: "create customer " + quote(who)}, "customer", &cu)
	return cu, err
}

// CustomerGroup is a group of customers (prices, accounts).
type CustomerGroup struct {
	ID     int64  `json:"id"`
	Number int64  `json:"number"`
	Name   string `json:"name"`
}

// CustomerGroups reads every customer group.
func (c *Client) CustomerGroups(ctx context.Context) ([]CustomerGroup, error) {
	return Collect(all[CustomerGroup](ctx, c, list{path: "customer-groups", key: "customer_groups", what: "customer groups"}, Filter{}))
}

// Employee is a Rackbeat user that orders can name as "our reference".
type Employee struct {
	ID     int64  `json:"id"`
	Number int64  `json:"number"`
	Name   string `json:"name"`
	Email  string `json:"email"`
}

// Employees reads every employee.
func (c *Client) Employees(ctx context.Context) ([]Employee, error) {
	return Collect(all[Employee](ctx, c, list{path: "employees", key: "employees", what: "employees"}, Filter{}))
}

// PaymentTerms is one set of payment terms (e.g. net 14 days).
type PaymentTerms struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Type string `json:"type"`
	Days int    `json:"days"`
}

// PaymentTerms reads every set of payment terms.
func (c *Client) PaymentTerms(ctx context.Context) ([]PaymentTerms, error) {
	return Collect(all[PaymentTerms](ctx, c, list{path: "payment-terms", key: "payment_terms", what: "payment terms"}, Filter{}))
}

// Account is what GET /self says about the token's account and user.
type Account struct {
	ID          int64  `json:"id"`
	AccountID   int64  `json:"account_id"`
	CompanyName string `json:"company_name"`
	Name        string `json:"name"`
	Email       string `json:"email"`
	// Raw is the whole answer, for fields this type does not name.
	Raw json.RawMessage `json:"-"`
}

// Self reads the account the API token belongs to; it is the cheapest way
// to check that the base URL and the token work.
func (c *Client) Self(ctx context.Context) (Account, error) {
	var raw json.RawMessage
	if err := c.one(ctx, request{method: http.MethodGet, path: "self", op: "read the account (self)"}, "self", &raw); err != nil {
		return Account{}, err
	}
	var a Account
	_ = json.Unmarshal(raw, &a) // Best effort: the shape of /self is not documented.
	a.Raw = raw
	return a, nil
}
