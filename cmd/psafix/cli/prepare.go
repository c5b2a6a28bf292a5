package cli

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"sync"

	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/rollout"
)

// prepare runs between collecting the inputs and fixing them: it reads the config file
// (defaults, exemptions, images), finds the Namespace objects of the inputs, and sets the
// options' hooks so that each workload is fixed for its namespace's level.
// It returns standard input, read once here and replayed to the fix.
func (r *run) prepare(args []string, inputs []input) (*rollout.Targets, []byte, error) {
	cfg, err := rollout.ConfigFor(r.flags.config, args)
	if errors.Is(err, rollout.ErrConfigConflict) {
		return nil, nil, usageError{err}
	}
	if err != nil {
		return nil, nil, err
	}
	ro := rollout.NewTargets(cfg, r.flags.fs.Changed("level"), r.flags.fs.Changed("version"))
	// The options again, now with the config's defaults under the flags.
	var defaults *rollout.Layer
	if cfg != nil {
		defaults = cfg.Defaults
	}
	settings, opts, err := rollout.Read(defaults, r.flags.layer())
	if err != nil && cfg != nil {
		err = fmt.Errorf("%v (with the defaults of %s)", err, cfg.Path)
	}
	if err != nil {
		return nil, nil, usageError{err}
	}
	r.settings = settings
	if cfg != nil {
		opts.ExemptionFor = cfg.ExemptionFor
		opts.Images = cfg.Images
		r.opts = opts
	}
	if len(r.flags.namespaces) > 0 {
		r.opts.DefaultNamespace = r.flags.namespaces[0]
	}
	ro.Selection = r.flags.namespaces
	if p := r.admissionConfigPath(cfg); p != "" {
		a, err := rollout.LoadAdmissionConfig(p)
		if err != nil {
			return nil, nil, err
		}
		for _, w := range a.Warnings() {
			fmt.Fprintf(r.stderr, "%s\n", w)
		}
		ro.Admission = a
		r.opts.ExemptRuntimeClass = ro.ExemptRuntimeClass
	}
	if err := r.cluster(cfg, ro); err != nil {
		return nil, nil, err
	}
	ro.Base = fixers.Target{Level: r.opts.Level, Version: r.opts.Version, From: ro.BaseFrom()}

	// Standard input first: it is read once, here, and replayed to the fix.
	var stdin []byte
	for _, in := range inputs {
		if in.stdin && in.err == nil {
			data, _ := r.read(in)
			stdin = data
			r.stdin = bytes.NewReader(data)
			break
		}
	}
	// The files on the workers, as the fix does; the manifests kept in input order, as the
	// first manifest of a namespace decides. This pass reads each file a first time, and the
	// fix reads it again: the fix cannot start before every Namespace is known, and keeping
	// the files until then would hold the whole tree in memory.
	process(inputs, r.flags.jobs, func(in input) []*rollout.Manifest {
		var data []byte
		switch {
		case in.err != nil || in.note != "":
			return nil
		case in.stdin:
			data = stdin
		default:
			// The bytes are dropped once scanned: one buffer per worker serves every file.
			buf := scanBuffers.Get().(*[]byte)
			defer scanBuffers.Put(buf)
			read := kio.ReadFileBuffer
			if in.walked {
				read = kio.ReadRegular
			}
			snap, err := read(in.path, r.flags.maxSize, *buf)
			if err != nil {
				return nil
			}
			data, *buf = snap.Data, snap.Data[:0]
		}
		if !bytes.Contains(data, []byte("Namespace")) {
			return nil
		}
		return rollout.ScanNamespaces(in.path, data)
	}, nil, ro.Add)
	if err := r.configNamespaces(cfg, ro, inputs); err != nil {
		return nil, nil, err
	}
	ro.Warn(r.stderr)
	if err := r.images(cfg, inputs, stdin); err != nil {
		return nil, nil, err
	}
	if ro.Active() {
		r.opts.TargetFor = ro.TargetFor
	}
	if r.check {
		for _, name := range ro.Names() {
			if !ro.Selected(name) {
				continue
			}
			if t := ro.TargetFor(name); t.Level == api.LevelPrivileged {
				fmt.Fprintf(r.stderr, "psafix: namespace %s is privileged (%s): its workloads are not checked\n", name, t.From)
			}
		}
	}
	return ro, stdin, nil
}

// configNamespaces reads the Namespace manifests of the files the config's namespaces:
// names and the inputs do not hold (pre-commit passes only the staged files): they give
// their namespaces' levels, and are never written.
func (r *run) configNamespaces(cfg *rollout.Config, ro *rollout.Targets, inputs []input) error {
	if cfg == nil || len(cfg.Namespaces) == 0 {
		return nil
	}
	files, err := cfg.NamespaceFiles()
	if err != nil {
		return err
	}
	given := map[string]bool{}
	for _, in := range inputs {
		if abs, err := filepath.Abs(in.path); err == nil && !in.stdin {
			given[abs] = true
		}
	}
	for _, f := range files {
		if abs, err := filepath.Abs(f); err == nil && given[abs] {
			continue
		}
		snap, err := kio.ReadFile(f, r.flags.maxSize)
		if err != nil {
			return fmt.Errorf("%s: namespaces: %s: %v", cfg.Path, f, errMsg(err))
		}
		ro.Add(rollout.ScanNamespaces(f, snap.Data))
	}
	return nil
}

// cluster reads the cluster's version (--cluster-version, else defaults.clusterVersion): it
// is what latest means, so the default of --version and of the labels' pin, and a --version
// newer than it is an error.
func (r *run) cluster(cfg *rollout.Config, ro *rollout.Targets) error {
	cv, from := r.settings.ClusterVersion, "--cluster-version"
	if !r.flags.fs.Changed("cluster-version") && cfg != nil {
		from = cfg.Path + ": defaults.clusterVersion"
	}
	if cv == "" {
		return nil
	}
	v, err := rollout.ParseClusterVersion(cv)
	if err != nil {
		return usageError{fmt.Errorf("%s: %v", from, err)}
	}
	given := r.settings.Version != ""
	if given && !r.opts.Version.Latest() && v.Older(r.opts.Version) {
		return usageError{fmt.Errorf("--version %s is newer than the cluster (%s %s): PSA on that cluster knows no policy newer than %s; drop --version, or raise the cluster version", r.opts.Version, from, v, v)}
	}
	ro.Cluster, ro.ClusterKnown = v, true
	if r.opts.Version.Latest() {
		r.opts.Version = v
	}
	return nil
}

// noClusterNote says, when no cluster version is known, what the labels' pin means.
func noClusterNote(ro *rollout.Targets) string {
	if ro.ClusterKnown {
		return ""
	}
	return fmt.Sprintf("no cluster version known (--cluster-version v1.N, or defaults.clusterVersion in %s): labels pin %s, the newest policy this psafix knows; a cluster older than that reads the pin as its own latest, so it does not hold across the cluster's next upgrade",
		rollout.ConfigName, fixers.NewestVersion())
}

// admissionConfigPath is the admission config of the run: --admission-config, else the
// config file's admissionConfig (relative to the config file's folder), else none.
func (r *run) admissionConfigPath(cfg *rollout.Config) string {
	if r.flags.admissionConfig != "" {
		return r.flags.admissionConfig
	}
	if cfg != nil && cfg.AdmissionConfig != "" {
		if filepath.IsAbs(cfg.AdmissionConfig) {
			return cfg.AdmissionConfig
		}
		return filepath.Join(filepath.Dir(cfg.Path), cfg.AdmissionConfig)
	}
	return ""
}

// scanBuffers are the pre-pass's read buffers: yaml.v3 copies what it keeps, so a buffer is
// free again once its file is scanned.
var scanBuffers = sync.Pool{New: func() any { return new([]byte) }}
