package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"k8s.io/pod-security-admission/policy"

	"github.com/psafix/psafix/fixers"
	"github.com/psafix/psafix/kio"
	"github.com/psafix/psafix/rollout"
)

// Formats of the report (--format).
const (
	formatText   = "text"
	formatJSON   = "json"
	formatSARIF  = "sarif"
	formatGitHub = "github"
)

// jsonFinding is one violation in the JSON report.
type jsonFinding struct {
	Path      string `json:"path"`
	Line      int    `json:"line"`
	Column    int    `json:"column"`
	Object    string `json:"object"`
	Container string `json:"container,omitempty"`
	Check     string `json:"check"`
	Level     string `json:"level"`
	Message   string `json:"message"`
	Hint      string `json:"hint,omitempty"`
	Fixable   bool   `json:"fixable"`
	Fixer     string `json:"fixer,omitempty"`
}

type jsonMessage struct {
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
}

// jsonChange is one change a fix makes, from the engine's record (fixers.Change).
type jsonChange struct {
	Path       string          `json:"path"`
	Line       int             `json:"line"`
	Column     int             `json:"column"`
	Object     string          `json:"object"`
	Container  string          `json:"container,omitempty"`
	Fixer      string          `json:"fixer"`
	Field      string          `json:"field"`
	Op         string          `json:"op"`
	Old        json.RawMessage `json:"old,omitempty"`
	New        json.RawMessage `json:"new,omitempty"`
	Explicit   bool            `json:"explicit"`
	Risky      bool            `json:"risky"`
	Assumption string          `json:"assumption,omitempty"`
	Checks     []string        `json:"checks,omitempty"`
}

type jsonReport struct {
	Tool     string        `json:"tool"`
	Mode     string        `json:"mode"`
	Level    string        `json:"level"`
	Version  string        `json:"version"`
	Summary  rollout.Tally `json:"summary"`
	Findings []jsonFinding `json:"findings"`
	Changes  []jsonChange  `json:"changes"`
	Notes    []jsonMessage `json:"notes"`
	Errors   []jsonMessage `json:"errors"`
}

func toJSONChange(path string, c *fixers.Change) jsonChange {
	jc := jsonChange{
		Path: path, Line: c.Line, Column: max(c.Column, 1), Object: c.Object, Container: c.Container,
		Fixer: c.Fixer, Field: c.Field, Op: string(c.Op), Explicit: c.Explicit, Risky: c.Risky, Assumption: c.Assumption,
	}
	if c.Old != "" {
		jc.Old = json.RawMessage(c.Old)
	}
	if c.New != "" {
		jc.New = json.RawMessage(c.New)
	}
	for _, id := range c.Checks {
		jc.Checks = append(jc.Checks, string(id))
	}
	return jc
}

// collected is what json and sarif need at the end of a run.
type collected struct {
	findings []fixers.Report
	notes    []fixers.Report
	errors   []jsonMessage
	changes  []jsonChange                  // the changes of fixed files, for json
	edits    map[string]map[int][]kio.Edit // the edits of changed files by document, for SARIF fixes
}

func (r *run) writeJSON(w io.Writer) {
	rep := jsonReport{
		Tool: "psafix", Mode: r.mode(), Level: string(r.opts.Level), Version: r.opts.Version.String(),
		Summary: r.tally, Findings: []jsonFinding{}, Changes: r.all.changes, Notes: []jsonMessage{}, Errors: r.all.errors,
	}
	if rep.Changes == nil {
		rep.Changes = []jsonChange{}
	}
	if rep.Errors == nil {
		rep.Errors = []jsonMessage{}
	}
	for _, f := range r.all.findings {
		rep.Findings = append(rep.Findings, jsonFinding{
			Path: f.Path, Line: f.Line, Column: max(f.Column, 1), Object: f.Object, Container: f.Container,
			Check: string(f.Check), Level: string(r.tally.LevelOf(f.Object, r.opts.Level)), Message: f.Message, Hint: f.Hint, Fixable: f.Fixable, Fixer: f.Fixer,
		})
	}
	for _, n := range r.all.notes {
		rep.Notes = append(rep.Notes, jsonMessage{Path: n.Path, Line: n.Line, Message: n.String()})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(rep)
}

func (r *run) mode() string {
	switch {
	case r.check:
		return "check"
	case r.flags.write:
		return "write"
	case r.flags.diff:
		return "diff"
	case r.flags.list:
		return "list"
	}
	return "stdout"
}

// githubEscape escapes workflow command data; property values also escape ':' and ','.
func githubEscape(s string, property bool) string {
	s = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
	if property {
		s = strings.NewReplacer(":", "%3A", ",", "%2C").Replace(s)
	}
	return s
}

// githubLine formats a finding as a GitHub Actions workflow command, which the runner turns
// into an annotation on the file and line.
func githubLine(kind string, f fixers.Report) string {
	title := "psafix"
	if f.Check != "" {
		title = "psafix: " + string(f.Check)
	}
	return fmt.Sprintf("::%s file=%s,line=%d,col=%d,title=%s::%s", kind, githubEscape(filepath.ToSlash(f.Path), true), f.Line, max(f.Column, 1), githubEscape(title, true), githubEscape(f.Text(), false))
}

// SARIF 2.1.0, the subset GitHub code scanning reads.
type sarifLog struct {
	Version string     `json:"version"`
	Schema  string     `json:"$schema"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
	// Invocations carry the errors (files or workloads not processed) as notifications.
	Invocations []sarifInvocation `json:"invocations,omitempty"`
}

type sarifInvocation struct {
	ExecutionSuccessful bool                `json:"executionSuccessful"`
	Notifications       []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifRule struct {
	ID               string          `json:"id"`
	Name             string          `json:"name"`
	ShortDescription sarifText       `json:"shortDescription"`
	FullDescription  sarifText       `json:"fullDescription"`
	Help             sarifText       `json:"help"`
	Default          sarifRuleConfig `json:"defaultConfiguration"`
	Properties       map[string]any  `json:"properties,omitempty"`
}

type sarifRuleConfig struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
	Fixes     []sarifFix      `json:"fixes,omitempty"`
	// Suppressions mark a violation accepted on its object (psafix.dev/accept).
	Suppressions []sarifSuppression `json:"suppressions,omitempty"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI string `json:"uri"`
}

type sarifRegion struct {
	StartLine   int  `json:"startLine,omitempty"`
	StartColumn int  `json:"startColumn,omitempty"`
	ByteOffset  *int `json:"byteOffset,omitempty"`
	ByteLength  *int `json:"byteLength,omitempty"`
}

type sarifFix struct {
	Description     sarifText             `json:"description"`
	ArtifactChanges []sarifArtifactChange `json:"artifactChanges"`
}

type sarifArtifactChange struct {
	ArtifactLocation sarifArtifact      `json:"artifactLocation"`
	Replacements     []sarifReplacement `json:"replacements"`
}

type sarifReplacement struct {
	DeletedRegion   sarifRegion `json:"deletedRegion"`
	InsertedContent sarifText   `json:"insertedContent"`
}

func (r *run) writeSARIF(w io.Writer) {
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name:           "psafix",
			Version:        currentBuild().String(),
			InformationURI: "https://github.com/psafix/psafix",
		}},
		Results: []sarifResult{},
	}
	index := map[string]int{}
	var ids []string
	for _, f := range r.all.findings {
		if _, ok := index[string(f.Check)]; !ok && f.Check != "" {
			index[string(f.Check)] = 0
			ids = append(ids, string(f.Check))
		}
	}
	sort.Strings(ids)
	for i, id := range ids {
		index[id] = i
		hint, fixer := fixers.Hint(policy.CheckID(id), r.opts.Fixers)
		help := hint
		if fixer != "" {
			help = fmt.Sprintf("psafix's %s fixer answers this check (psafix --write). %s", fixer, fixers.CheckOf(policy.CheckID(id)).Hint)
		}
		desc := fixers.CheckOf(policy.CheckID(id)).Description
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule{
			ID: id, Name: id,
			ShortDescription: sarifText{desc},
			FullDescription:  sarifText{desc + " (Pod Security Standards, checked by k8s.io/pod-security-admission.)"},
			Help:             sarifText{help},
			Default:          sarifRuleConfig{Level: "error"},
			Properties:       map[string]any{"tags": []string{"security", "kubernetes", "pod-security"}},
		})
	}
	if run.Tool.Driver.Rules == nil {
		run.Tool.Driver.Rules = []sarifRule{}
	}
	for _, f := range r.all.findings {
		if f.Check == "" {
			continue
		}
		res := sarifResult{
			RuleID: string(f.Check), RuleIndex: index[string(f.Check)], Level: "error",
			Message: sarifText{f.Text()},
			Locations: []sarifLocation{{PhysicalLocation: sarifPhysical{
				ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(f.Path)},
				Region:           &sarifRegion{StartLine: max(f.Line, 1), StartColumn: max(f.Column, 1)},
			}}},
		}
		if f.Accepted != "" {
			res.Level = "note"
			res.Suppressions = []sarifSuppression{{Kind: "inSource", Justification: f.Accepted}}
		}
		if fr := r.all.edits[f.Path]; f.Fixable && fr != nil {
			change := sarifArtifactChange{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(f.Path)}}
			for _, ed := range fr[f.Doc] {
				if f.End > 0 && (ed.Start < f.Start || ed.Start >= f.End) {
					// Another object's edit in a List: each result carries its own object's.
					continue
				}
				off, n := ed.Start, ed.End-ed.Start
				change.Replacements = append(change.Replacements, sarifReplacement{
					DeletedRegion:   sarifRegion{ByteOffset: &off, ByteLength: &n},
					InsertedContent: sarifText{ed.Text},
				})
			}
			if len(change.Replacements) > 0 {
				res.Fixes = []sarifFix{{Description: sarifText{"psafix fix for " + f.Object}, ArtifactChanges: []sarifArtifactChange{change}}}
			}
		}
		run.Results = append(run.Results, res)
	}
	for i, e := range r.all.errors {
		if i == 0 {
			run.Invocations = []sarifInvocation{{}}
		}
		loc := sarifPhysical{ArtifactLocation: sarifArtifact{URI: filepath.ToSlash(e.Path)}, Region: &sarifRegion{StartLine: max(e.Line, 1), StartColumn: max(e.Column, 1)}}
		run.Invocations[0].Notifications = append(run.Invocations[0].Notifications, sarifNotification{Level: "error", Message: sarifText{e.Message}, Locations: []sarifLocation{{loc}}})
	}
	log := sarifLog{Version: "2.1.0", Schema: "https://json.schemastore.org/sarif-2.1.0.json", Runs: []sarifRun{run}}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	enc.Encode(log)
}
