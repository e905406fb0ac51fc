// Package all imports every built-in connector so that they register.
package all

import (
	_ "github.com/hanbox/hanbox/connectors/api"
)
