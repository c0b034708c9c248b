"""Web layer: one blueprint per area, access control, error pages, security headers."""
