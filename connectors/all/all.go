// Package all imports every built-in connector so that they register.
package all

import (
	_ "github.com/hanbox/hanbox/connectors/api"
	_ "github.com/hanbox/hanbox/connectors/discord"
	_ "github.com/hanbox/hanbox/connectors/email"
	_ "github.com/hanbox/hanbox/connectors/slack"
	_ "github.com/hanbox/hanbox/connectors/widget"
)
