"""The HTTP layer below the handlers: body limits, multipart parsing, error rendering."""
