"""Plain logic between the handlers and the store: values in, values out, no HTTP."""
