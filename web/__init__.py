"""The HTTP layer: the Starlette app factory, one small routes module per endpoint group, and
the helpers they share (errors, gzip, ETags, security headers). Nothing below imports it."""
