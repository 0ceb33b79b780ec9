"""Payment metrics counted from payment outcomes (payments.hooks)."""
