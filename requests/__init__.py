"""Subject-rights requests (issue 6). This package shadows the HTTP library `requests`: never
install a dependency that imports it (see DESIGN.md)."""
