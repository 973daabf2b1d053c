// Package shopify is shopbridge's Shopify connector: it speaks the Shopify
// Admin GraphQL API, version 2026-10, through package graphql, and maps
// Shopify's products, orders, inventory and webhooks to the sdk's canonical
// types. It imports only sdk/ (never core/), so it runs as its own process
// behind sdk.Serve and would work against a real store unchanged.
//
// The settings a link takes are in settingsSchema; the OAuth install of the
// Swedish seed (paste the shop address, approve in Shopify) is the
// sdk.Authorizer of a link.
package shopify
