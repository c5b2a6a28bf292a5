package fixers

import (
	"errors"
	"testing"
)

// TestHelmTemplate: a workload whose plain text uses Helm's objects or functions is a Helm
// template, skipped (not an error); other {{ }} text in valid YAML is data and gets fixed.
func TestHelmTemplate(t *testing.T) {
	const head = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\nspec:\n  containers:\n  - name: c\n"
	cases := []struct {
		name, body string
		template   bool
	}{
		{"values in plain image", "    image: x:{{ .Values.image.tag }}\n", true},
		{"include as flow key", "    image: x\n    env: {{ include \"env\" . }}\n", true},
		{"toYaml", "    image: x\n    args:\n    - {{ toYaml .Values.args }}\n", true},
		{"log format", "    image: x\n    args:\n    - --format={{ .Level }} {{ .Msg }}\n", false},
		{"argo parameter", "    image: x\n    args:\n    - --name={{inputs.parameters.name}}\n", false},
		{"quoted values", "    image: x\n    args:\n    - 'http://grafana:{{ .Values.port }}'\n", false},
		{"block scalar", "    image: x\n    command:\n    - sh\n    - -c\n    - |\n      echo {{ .Values.x }}\n", false},
	}
	engine := NewEngine(DefaultOptions())
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := engine.FixFile("x.yaml", []byte(head+c.body))
			var fe *FileError
			isTemplate := errors.As(res.Err, &fe) && fe.Skip
			if isTemplate != c.template {
				t.Fatalf("template %v, want %v (err %v)", isTemplate, c.template, res.Err)
			}
			if !c.template && (res.Err != nil || !res.Changed()) {
				t.Errorf("data case not fixed: err %v", res.Err)
			}
		})
	}
}
