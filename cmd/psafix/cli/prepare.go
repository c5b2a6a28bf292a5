package cli

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"sync"

	"k8s.io/pod-security-admission/api"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/rollout"
	"github.com/psafix/psafix/rollout/imagelock"
)

// prepare runs between collecting the inputs and fixing them: it reads the config file
// (defaults, exemptions, images), finds the Namespace objects of the inputs, and sets the
// options' hooks so that each workload is fixed for its namespace's level.
// It returns standard input, read once here and replayed to the fix.
func (r *run) prepare(args []string, inputs []input) (*rollout.Targets, []byte, error) {
	cfg, others, err := r.configs(args, inputs)
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
		cfg.SetOptions(opts)
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
	for _, c := range append([]*rollout.Config{cfg}, others...) {
		if err := r.configNamespaces(c, ro, inputs); err != nil {
			return nil, nil, err
		}
	}
	ro.Warn(r.stderr)
	if err := r.images(cfg, inputs, stdin); err != nil {
		return nil, nil, err
	}
	if ro.Active() {
		r.opts.TargetFor = ro.TargetFor
	}
	if err := r.configOptions(cfg, others, ro); err != nil {
		return nil, nil, err
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

// configs finds the config of each input (input.config), nearest first: the run's config
// is the first found for args (else for the inputs), and gives what is read once per run
// (admission config, cluster version, output, image lock); others are the other configs
// the inputs use, each giving its own fixing options (configOptions).
func (r *run) configs(args []string, inputs []input) (cfg *rollout.Config, others []*rollout.Config, err error) {
	cs, err := rollout.NewConfigs(r.flags.config)
	if err != nil {
		return nil, nil, err
	}
	for _, a := range args {
		if cfg, err = cs.For(a); err != nil || cfg != nil {
			break
		}
	}
	if err != nil {
		return nil, nil, err
	}
	for i := range inputs {
		in := &inputs[i]
		if in.err != nil {
			continue
		}
		var c *rollout.Config
		switch {
		case in.stdin:
			c, err = cs.For("-")
		case in.walked:
			c, err = cs.ForFile(in.path)
		default:
			c, err = cs.For(in.path)
		}
		if err != nil {
			return nil, nil, err
		}
		in.config = c
		switch {
		case c == nil || c == cfg:
		case cfg == nil:
			cfg = c
		case !slices.Contains(others, c):
			others = append(others, c)
		}
	}
	// A file under no config is fixed with the flags alone, not with the run's config.
	for _, in := range inputs {
		if cfg != nil && in.err == nil && in.config == nil {
			others = append(others, nil)
			break
		}
	}
	return cfg, others, nil
}

// configOptions gives each other config its own options: its defaults under the flags,
// its exemptions, images and image lock; what is read once per run stays the run's, and
// a config that sets it otherwise is an error, as one run cannot honour both.
func (r *run) configOptions(cfg *rollout.Config, others []*rollout.Config, ro *rollout.Targets) error {
	r.configOpts = map[*rollout.Config]*fixers.Options{}
	for _, c := range others {
		var defaults *rollout.Layer
		if c != nil {
			defaults = c.Defaults
		}
		settings, opts, err := rollout.Read(defaults, r.flags.layer())
		if err != nil {
			return usageError{fmt.Errorf("%v (with the defaults of %s)", err, configName(c))}
		}
		if c != nil {
			if settings.ClusterVersion != "" && settings.ClusterVersion != r.settings.ClusterVersion {
				return usageError{fmt.Errorf("%s and %s set different cluster versions: run psafix once for each, or give --cluster-version", c.Path, configName(cfg))}
			}
			if p := r.admissionConfigPath(c); p != "" && p != r.admissionConfigPath(cfg) {
				return usageError{fmt.Errorf("%s and %s name different admission configs: run psafix once for each, or give --admission-config", c.Path, configName(cfg))}
			}
			c.SetOptions(opts)
		}
		lock, err := imagelock.Read(lockPath(c))
		if err != nil {
			return err
		}
		opts.Images = append(slices.Clip(opts.Images), lock.Images(lockPath(c))...)
		opts.DefaultNamespace = r.opts.DefaultNamespace
		opts.ExemptRuntimeClass = r.opts.ExemptRuntimeClass
		if opts.Version.Latest() && ro.ClusterKnown {
			opts.Version = ro.Cluster
		}
		if ro.Active() {
			t := *ro
			t.Config = c
			t.Base = fixers.Target{Level: opts.Level, Version: opts.Version, From: t.BaseFrom()}
			opts.TargetFor = t.TargetFor
		}
		r.configOpts[c] = opts
	}
	return nil
}

func configName(c *rollout.Config) string {
	if c == nil {
		return "no config file"
	}
	return c.Path
}

// engines returns the engine of each input: that of its config's options, else the run's.
func (r *run) engines(engine *fixers.Engine) func(input) *fixers.Engine {
	if len(r.configOpts) == 0 {
		return func(input) *fixers.Engine { return engine }
	}
	m := map[*rollout.Config]*fixers.Engine{}
	for c, o := range r.configOpts {
		m[c] = fixers.NewEngine(o)
	}
	return func(in input) *fixers.Engine {
		if e, ok := m[in.config]; ok {
			return e
		}
		return engine
	}
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
