package imagelock

import (
	"sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/psafix/psafix/kio"
)

// Scan returns the images that the containers (init and ephemeral ones included) of every
// pod spec in a manifest file name, as written, in order, each once. Documents that do not
// parse are skipped: the fix run reports them.
func Scan(data []byte) []string {
	var out []string
	seen := map[string]bool{}
	for d := range kio.Documents(data) {
		for _, w := range kio.FindWorkloads(d) {
			for _, field := range kio.ContainerFields {
				for _, c := range kio.Containers(w.Spec, field) {
					if c == nil || c.Kind != yaml.MappingNode {
						continue
					}
					_, v := kio.Lookup(c, "image")
					if v = kio.Resolve(v); v == nil || v.Kind != yaml.ScalarNode || v.Value == "" || seen[v.Value] {
						continue
					}
					seen[v.Value] = true
					out = append(out, v.Value)
				}
			}
		}
	}
	return out
}
