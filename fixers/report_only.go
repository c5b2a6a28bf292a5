package fixers

import "k8s.io/pod-security-admission/policy"

// Hints says, for every PSA check, what a person should do when it still fails: for checks
// no fixer answers, why psafix leaves them alone. A test keeps this list and the library's
// checks in step.
var Hints = map[policy.CheckID]string{
	"privileged":                 "privileged containers have full host access; psafix will not take it away from a workload that may need it: drop privileged: true if the container does not, or run it in a namespace labelled privileged",
	"hostNamespaces":             "hostNetwork/hostPID/hostIPC share the node's namespaces; remove them unless this is node infrastructure, which belongs in a privileged namespace",
	"hostPathVolumes":            "hostPath volumes expose the node's filesystem; replace with emptyDir, a PersistentVolumeClaim, a ConfigMap or a CSI volume",
	"restrictedVolumes":          "restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes; move the data to one of those",
	"hostPorts":                  "hostPort binds a port on the node; use a Service (NodePort or LoadBalancer) instead",
	"hostProbesAndHostLifecycle": "probes and lifecycle handlers must not set host; point them at the pod itself",
	"windowsHostProcess":         "Windows HostProcess containers run as the node; they belong in a privileged namespace",
	"seLinuxOptions":             "custom SELinux user/role or a type other than container_t, container_init_t, container_kvm_t, container_engine_t is forbidden; remove seLinuxOptions or use an allowed type",
	"sysctls":                    "only namespaced, safe sysctls are allowed; set the others on the node",

	// Checks a fixer answers: why one may still fail after a run.
	"procMount":                 "procMount must be Default",
	"procMount_restricted":      "procMount must be Default",
	"appArmorProfile":           "AppArmor profile must be RuntimeDefault or Localhost",
	"runAsNonRoot":              "set runAsNonRoot: true at pod level, or on every container",
	"runAsUser":                 "set runAsUser to the image's non-root UID (psafix does not choose one with --run-as-user none)",
	"seccompProfile_baseline":   "seccompProfile Unconfined is forbidden; use RuntimeDefault or Localhost",
	"seccompProfile_restricted": "set seccompProfile.type: RuntimeDefault at pod level",
	"capabilities_baseline":     "remove the added capabilities the level forbids",
	"capabilities_restricted":   "drop ALL capabilities; add back only NET_BIND_SERVICE",
	"allowPrivilegeEscalation":  "set allowPrivilegeEscalation: false; the API server refuses it next to privileged: true or an added SYS_ADMIN, so fix those first",
}

// Hint returns the advice for a check: the fixer that answers it, or the written reason
// psafix leaves it alone.
func Hint(id policy.CheckID, enabled map[string]bool) (hint, fixer string) {
	for _, f := range All {
		for _, c := range f.Checks {
			if c == id {
				if enabled[f.ID] {
					return "not fixed automatically here: " + Hints[id], f.ID
				}
				return "fixable: enable the " + f.ID + " fixer", f.ID
			}
		}
	}
	return Hints[id], ""
}
