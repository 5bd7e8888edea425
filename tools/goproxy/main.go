// goproxy adds one version of a Go module, made from a directory, to a file-based module proxy
// (the layout `GOPROXY=file://<dir>` serves: <module>/@v/list, .info, .mod, .zip).
//
// scripts/build-artifacts.sh makes dist/goproxy with it, so a fresh program can `go get` the Go
// SDK at its release tag, as it would from the public proxy once sdk/vX.Y.Z is pushed. The zip is
// made by golang.org/x/mod/zip, the code the go command itself uses to make and check module zips
// (file set, nested modules and vendor directories left out, size limits).
//
//	goproxy <proxy-dir> <module-path> <version> <module-dir> [<time RFC 3339>]
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/mod/module"
	"golang.org/x/mod/semver"
	modzip "golang.org/x/mod/zip"
)

func run(args []string) error {
	if len(args) != 4 && len(args) != 5 {
		return errors.New("usage: goproxy <proxy-dir> <module-path> <version> <module-dir> [<time>]")
	}
	proxy, path, version, dir := args[0], args[1], args[2], args[3]
	stamp := time.Now().UTC()
	if len(args) == 5 {
		parsed, err := time.Parse(time.RFC3339, args[4])
		if err != nil {
			return err
		}
		stamp = parsed.UTC()
	}
	mv := module.Version{Path: path, Version: version}
	if err := module.Check(path, version); err != nil {
		return err
	}
	goMod, err := os.ReadFile(filepath.Join(dir, "go.mod"))
	if err != nil {
		return err
	}
	escaped, err := module.EscapePath(path)
	if err != nil {
		return err
	}
	escapedVersion, err := module.EscapeVersion(version)
	if err != nil {
		return err
	}
	at := filepath.Join(proxy, filepath.FromSlash(escaped), "@v")
	if err := os.MkdirAll(at, 0o755); err != nil {
		return err
	}

	zipPath := filepath.Join(at, escapedVersion+".zip")
	out, err := os.Create(zipPath)
	if err != nil {
		return err
	}
	if err := modzip.CreateFromDir(out, mv, dir); err != nil {
		out.Close()
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if _, err := modzip.CheckZip(mv, zipPath); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(at, escapedVersion+".mod"), goMod, 0o644); err != nil {
		return err
	}
	info, err := json.Marshal(map[string]string{"Version": version, "Time": stamp.Format(time.RFC3339)})
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(at, escapedVersion+".info"), info, 0o644); err != nil {
		return err
	}

	// @v/list: every version the proxy holds, in semver order.
	versions := []string{version}
	if listed, err := os.ReadFile(filepath.Join(at, "list")); err == nil {
		for _, v := range strings.Fields(string(listed)) {
			if !slices.Contains(versions, v) {
				versions = append(versions, v)
			}
		}
	}
	semver.Sort(versions)
	list := strings.Join(versions, "\n") + "\n"
	return os.WriteFile(filepath.Join(at, "list"), []byte(list), 0o644)
}

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "goproxy:", err)
		os.Exit(1)
	}
}
