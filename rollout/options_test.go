package rollout

import (
	"strings"
	"testing"
)

// TestOptionsTable: every option names itself in each place, and its Field fits its Kind.
func TestOptionsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, o := range Options {
		if o.Key == "" || o.Flag == "" || o.Usage == "" || o.Field == nil {
			t.Errorf("%+v: Key, Flag, Usage and Field are needed", o)
			continue
		}
		for _, name := range []string{"key " + o.Key, "flag " + o.Flag, "data " + o.DataKey()} {
			if seen[name] {
				t.Errorf("%s named twice", name)
			}
			seen[name] = true
		}
		var s Settings
		switch o.Field(&s).(type) {
		case *string:
			if o.Kind == List {
				t.Errorf("%s: a List needs a *[]string field", o.Key)
			}
		case *[]string:
			if o.Kind != List {
				t.Errorf("%s: a *[]string field needs Kind List", o.Key)
			}
		default:
			t.Errorf("%s: Field must return a *string or a *[]string", o.Key)
		}
	}
}

// TestReadPrecedence: the later layer wins, option by option; each layer's errors are
// located by its Fail.
func TestReadPrecedence(t *testing.T) {
	cfg, err := ParseConfig("c.yaml", []byte(configHead+"defaults:\n  level: baseline\n  runAsUser: 1000\n  skip: [read-only-root]\n"))
	if err != nil {
		t.Fatal(err)
	}
	flags := NewLayer(nil)
	flags.Set("runAsUser", Value{Str: "2000"})
	s, opts, err := Read(cfg.Defaults, flags)
	if err != nil {
		t.Fatal(err)
	}
	if s.Level != "baseline" || s.RunAsUser != "2000" || len(s.Skip) != 1 || opts.Fixers["read-only-root"] || *opts.RunAsUser != 2000 {
		t.Errorf("got %+v", s)
	}
	bad := NewLayer(func(o *Option, line int, err error) error {
		return &ConfigError{Path: "x", Line: line, Msg: o.Key + ": " + err.Error()}
	})
	bad.Set("version", Value{Str: "1.30", Line: 7})
	if _, _, err := Read(cfg.Defaults, bad); err == nil || !strings.HasPrefix(err.Error(), `x:7: version: version must be latest or v1.N`) {
		t.Errorf("got %v", err)
	}
}
