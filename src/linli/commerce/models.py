"""Alliance commerce (消费核销): member cards, sales, coupons, bundles, group buys (SPEC 4)."""
