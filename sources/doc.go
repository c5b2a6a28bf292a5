// Package sources groups the inputs psafix reads that are not manifests yet: Helm charts
// (sources/chart) and kustomize overlays (sources/overlay). Each turns its source into the
// manifests the engine fixes (a chart rendered with its values, an overlay built with
// krusty) and traces a fix back to the file that owns it (values.yaml, a patch of the
// overlay), so psafix edits what the author wrote, never the rendered output.
//
// They sit apart from fixers/ and kio/ because they link Helm's engine and kustomize's API
// (tens of megabytes); the engine and the byte editor never import them. Only the command
// line does. The packages keep their short names, chart and overlay.
package sources
