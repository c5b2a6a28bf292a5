package rollout

import (
	"testing"

	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/fixers"
)

func TestTargetFor(t *testing.T) {
	ns := func(labels map[string]string) []*Manifest {
		return []*Manifest{{Name: "x", Path: "ns.yaml", Line: 1, Labels: labels}}
	}
	v := func(s string) api.Version {
		v, err := api.ParseVersion(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	base := fixers.Target{Level: api.LevelRestricted, Version: api.LatestVersion(), From: "default"}
	cases := []struct {
		name                   string
		labels                 map[string]string
		levelFlag, versionFlag bool
		level                  api.Level
		version                string
	}{
		{"no labels", map[string]string{"team": "x"}, false, false, api.LevelRestricted, "latest"},
		{"enforce baseline", map[string]string{EnforceLabel: "baseline"}, false, false, api.LevelBaseline, "latest"},
		{"enforce with version", map[string]string{EnforceLabel: "baseline", EnforceLabel + "-version": "v1.30"}, false, false, api.LevelBaseline, "v1.30"},
		{"--level wins", map[string]string{EnforceLabel: "baseline", EnforceLabel + "-version": "v1.30"}, true, false, api.LevelRestricted, "v1.30"},
		{"--version wins", map[string]string{EnforceLabel: "baseline", EnforceLabel + "-version": "v1.30"}, false, true, api.LevelBaseline, "latest"},
		{"privileged stays with --level", map[string]string{EnforceLabel: "privileged"}, true, true, api.LevelPrivileged, "latest"},
		{"bad level ignored", map[string]string{EnforceLabel: "strict"}, false, false, api.LevelRestricted, "latest"},
		{"bad version ignored", map[string]string{EnforceLabel: "baseline", EnforceLabel + "-version": "1.30"}, false, false, api.LevelBaseline, "latest"},
		{"future version is latest", map[string]string{EnforceLabel: "baseline", EnforceLabel + "-version": "v1.99"}, false, false, api.LevelBaseline, "latest"},
		{"warn alone does not set the target", map[string]string{LabelPrefix + "warn": "baseline"}, false, false, api.LevelRestricted, "latest"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ro := NewTargets(nil, c.levelFlag, c.versionFlag)
			ro.Base = base
			ro.Add(ns(c.labels))
			got := ro.TargetFor("x")
			if got.Level != c.level || got.Version != v(c.version) {
				t.Errorf("got %s %s (%s), want %s %s", got.Level, got.Version, got.From, c.level, c.version)
			}
			if other := ro.TargetFor("other"); other != base {
				t.Errorf("a namespace without a manifest got %+v", other)
			}
		})
	}
}
