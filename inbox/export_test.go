package inbox

// SetNPSHook sets the crash-test hook of n (see NPS.hook).
func SetNPSHook(n *NPS, f func(stage string, contactID int64)) { n.hook = f }
