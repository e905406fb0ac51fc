package main

import "github.com/hanbox/hanbox/server"

// mounts lists the route sets beyond the API: the web UI and the widget script.
func mounts() []server.Mounter {
	return nil
}
