"""HTTP helpers shared by the operation modules: the running server's state, variable
operations for any variable resource, upload parts and download responses."""
