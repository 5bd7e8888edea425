//go:build tools

// The module pins github.com/rhysd/actionlint: `go build -C tools/actionlint
// github.com/rhysd/actionlint/cmd/actionlint` builds that version.
package tools

import _ "github.com/rhysd/actionlint/cmd/actionlint"
