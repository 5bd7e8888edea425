"""HTTP access to LaunchDarkly's REST API: the one client (``http.client``)."""
