package fixers

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"

	"k8s.io/pod-security-admission/api"
)

// OptionStrings are options as users write them, on the command line or in a KRM
// function's config. Empty fields take the defaults.
type OptionStrings struct {
	Level, Version string
	Fixers, Skip   []string
	// RunAsUser is a UID or "none".
	RunAsUser     string
	WritablePaths []string
	// ReadOnlyRoot is known, all or off.
	ReadOnlyRoot string
	// FixExplicitRoot and RemoveCapabilities turn those decisions into edits: "true",
	// "false" or "" (false).
	FixExplicitRoot, RemoveCapabilities string
	// Explain writes each risky edit's assumption as a trailing comment: "true", "false"
	// or "" (false).
	Explain string
}

// ParseOptions validates options written as strings, with messages that say what is
// accepted.
func ParseOptions(s OptionStrings) (*Options, error) {
	o := DefaultOptions()
	if s.Level != "" {
		lvl, err := api.ParseLevel(s.Level)
		if err != nil || lvl == api.LevelPrivileged {
			return nil, fmt.Errorf("level must be restricted or baseline, not %q", s.Level)
		}
		o.Level = lvl
	}
	if s.Version != "" {
		v, err := api.ParseVersion(s.Version)
		if err != nil {
			return nil, fmt.Errorf("version must be latest or v1.N, not %q", s.Version)
		}
		if newest := NewestVersion(); !v.Latest() && newest.Older(v) {
			return nil, fmt.Errorf("version %s is newer than the newest policy this psafix knows (%s); use latest", s.Version, newest)
		}
		o.Version = v
	}
	var err error
	if o.Fixers, err = Select(s.Fixers, s.Skip); err != nil {
		return nil, err
	}
	switch s.RunAsUser {
	case "":
	case "none":
		o.RunAsUser = nil
	default:
		uid, err := strconv.ParseInt(s.RunAsUser, 10, 64)
		if err != nil || uid <= 0 || uid > 2147483647 {
			return nil, fmt.Errorf("run-as-user must be a non-zero UID or 'none', not %q", s.RunAsUser)
		}
		o.RunAsUser = &uid
	}
	if len(s.WritablePaths) > 0 {
		o.WritablePaths = nil
		for _, p := range s.WritablePaths {
			if err := CheckWritablePath(p); err != nil {
				return nil, err
			}
			o.WritablePaths = append(o.WritablePaths, p)
		}
	}
	switch m := ReadOnlyRootMode(s.ReadOnlyRoot); m {
	case "":
	case ReadOnlyRootKnown, ReadOnlyRootAll, ReadOnlyRootOff:
		o.ReadOnlyRoot = m
	default:
		return nil, fmt.Errorf("read-only-root must be known, all or off, not %q", s.ReadOnlyRoot)
	}
	for _, b := range []struct {
		name string
		s    string
		to   *bool
	}{{"fix-explicit-root", s.FixExplicitRoot, &o.FixExplicitRoot}, {"remove-capabilities", s.RemoveCapabilities, &o.RemoveCapabilities}, {"explain", s.Explain, &o.Explain}} {
		switch b.s {
		case "", "false":
		case "true":
			*b.to = true
		default:
			return nil, fmt.Errorf("%s must be true or false, not %q", b.name, b.s)
		}
	}
	return o, nil
}

// CheckWritablePath refuses a writable path psafix must not mount an emptyDir at: a relative
// one, the root (an empty filesystem in place of the image's), or one with ".." (the API
// server refuses a mountPath with "..").
func CheckWritablePath(p string) error {
	switch {
	case !strings.HasPrefix(p, "/"):
		return fmt.Errorf("writable path must be absolute, not %q", p)
	case path.Clean(p) == "/":
		return fmt.Errorf("writable path %q would hide the whole image under an empty folder: name the folders it writes to (/tmp, /var/cache/nginx)", p)
	case slices.Contains(strings.Split(p, "/"), ".."):
		return fmt.Errorf("writable path must not contain \"..\" (the API server refuses such a mountPath), not %q", p)
	}
	return nil
}

// NewestVersion is the newest policy version the bundled k8s.io/pod-security-admission
// defines a check for: what "latest" means for this build.
func NewestVersion() api.Version {
	newest := api.MajorMinorVersion(1, 0)
	for _, c := range NewEvaluator().checks {
		for _, v := range c.Versions {
			if newest.Older(v.MinimumVersion) {
				newest = v.MinimumVersion
			}
		}
	}
	return newest
}
