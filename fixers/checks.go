package fixers

import (
	"sort"

	"k8s.io/pod-security-admission/policy"
)

// Check is what psafix knows of one Pod Security Standards check, written once and read by
// every face: the text report, JSON, SARIF and the KRM function. There is one registered
// value per check of k8s.io/pod-security-admission/policy (a test keeps them in step).
type Check struct {
	ID policy.CheckID
	// Description says what the check forbids or requires, in one sentence (SARIF's rule
	// text).
	Description string
	// Hint says what a person should do when the check still fails: for checks no fixer
	// answers, why psafix leaves them alone; for the others, why one may still fail after
	// a run.
	Hint string
	// PodFields are the pod spec fields the check reads, as dotted paths below the pod
	// spec ("securityContext.runAsNonRoot"). A pod-level report points at the first; where
	// there are several (hostNetwork, hostPID, hostIPC), at the first one set.
	PodFields []string
	// PodKeys are the keys of the pod spec a pod-level report's line points at: the first
	// present, else the spec's first key.
	PodKeys []string
	// ContainerFields are the container fields the check reads, below a container
	// ("securityContext.privileged"); a container's report points at the first.
	ContainerFields []string
	// Items: a pod-level report points at the item of the PodFields list that PSA's detail
	// names (the hostPath volume, by its name).
	Items bool
	// LinuxOnly marks a restricted check whose fix is a field the API server rejects on
	// Windows pods (spec.os.name: windows).
	LinuxOnly bool
}

var checks = map[policy.CheckID]*Check{}

// register adds c to the table of checks.
func register(c *Check) *Check {
	if _, dup := checks[c.ID]; dup {
		panic("fixers: check " + string(c.ID) + " registered twice")
	}
	checks[c.ID] = c
	return c
}

// CheckOf returns what psafix knows of check id; for a check it does not know (a newer
// library's), an entry with a generic description and no hint.
func CheckOf(id policy.CheckID) *Check {
	if c := checks[id]; c != nil {
		return c
	}
	return &Check{ID: id, Description: "Pod Security Standards check " + string(id) + "."}
}

// Checks returns every registered check, sorted by ID.
func Checks() []*Check {
	out := make([]*Check, 0, len(checks))
	for _, c := range checks {
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// The checks, in the order of the Pod Security Standards page: baseline, then restricted.
var (
	CheckHostProcess = register(&Check{
		ID:              "windowsHostProcess",
		Description:     "Windows HostProcess containers are forbidden.",
		Hint:            "Windows HostProcess containers run as the node; they belong in a privileged namespace",
		PodFields:       []string{"securityContext.windowsOptions.hostProcess"},
		ContainerFields: []string{"securityContext.windowsOptions.hostProcess"},
	})
	CheckHostNamespaces = register(&Check{
		ID:          "hostNamespaces",
		Description: "Sharing the host's network, PID or IPC namespace is forbidden.",
		Hint:        "hostNetwork/hostPID/hostIPC share the node's namespaces; remove them unless this is node infrastructure, which belongs in a privileged namespace",
		PodFields:   []string{"hostNetwork", "hostPID", "hostIPC"},
		PodKeys:     []string{"hostNetwork", "hostPID", "hostIPC"},
	})
	CheckPrivileged = register(&Check{
		ID:              "privileged",
		Description:     "Privileged containers are forbidden.",
		Hint:            "privileged containers have full host access; psafix will not take it away from a workload that may need it: drop privileged: true if the container does not, or run it in a namespace labelled privileged",
		ContainerFields: []string{"securityContext.privileged"},
	})
	CheckCapabilitiesBaseline = register(&Check{
		ID:              "capabilities_baseline",
		Description:     "Adding capabilities beyond the runtime's default set is forbidden.",
		Hint:            "remove the added capabilities the level forbids",
		ContainerFields: []string{"securityContext.capabilities"},
	})
	CheckHostPathVolumes = register(&Check{
		ID:          "hostPathVolumes",
		Description: "hostPath volumes are forbidden.",
		Hint:        "hostPath volumes expose the node's filesystem; replace with emptyDir, a PersistentVolumeClaim, a ConfigMap or a CSI volume",
		PodFields:   []string{"volumes"},
		PodKeys:     []string{"volumes"},
		Items:       true,
	})
	CheckHostPorts = register(&Check{
		ID:              "hostPorts",
		Description:     "Host ports are forbidden.",
		Hint:            "hostPort binds a port on the node; use a Service (NodePort or LoadBalancer) instead",
		ContainerFields: []string{"ports"},
	})
	CheckHostProbesAndHostLifecycle = register(&Check{
		ID:          "hostProbesAndHostLifecycle",
		Description: "Probes and lifecycle handlers must not set a host.",
		Hint:        "probes and lifecycle handlers must not set host; point them at the pod itself",
	})
	CheckAppArmorProfile = register(&Check{
		ID:              "appArmorProfile",
		Description:     "AppArmor profiles other than RuntimeDefault or Localhost are forbidden.",
		Hint:            "AppArmor profile must be RuntimeDefault or Localhost",
		PodFields:       []string{"securityContext.appArmorProfile"},
		PodKeys:         []string{"securityContext"},
		ContainerFields: []string{"securityContext.appArmorProfile"},
	})
	CheckSELinuxOptions = register(&Check{
		ID:              "seLinuxOptions",
		Description:     "Custom SELinux users, roles and types are forbidden.",
		Hint:            "custom SELinux user/role or a type other than container_t, container_init_t, container_kvm_t, container_engine_t is forbidden; remove seLinuxOptions or use an allowed type",
		PodFields:       []string{"securityContext.seLinuxOptions"},
		PodKeys:         []string{"securityContext"},
		ContainerFields: []string{"securityContext.seLinuxOptions"},
	})
	CheckProcMount = register(&Check{
		ID:              "procMount",
		Description:     "The default /proc mask is required.",
		Hint:            "procMount must be Default",
		ContainerFields: []string{"securityContext.procMount"},
	})
	CheckSeccompProfileBaseline = register(&Check{
		ID:              "seccompProfile_baseline",
		Description:     "The Unconfined seccomp profile is forbidden.",
		Hint:            "seccompProfile Unconfined is forbidden; use RuntimeDefault or Localhost",
		PodFields:       []string{"securityContext.seccompProfile"},
		ContainerFields: []string{"securityContext.seccompProfile"},
	})
	CheckSysctls = register(&Check{
		ID:          "sysctls",
		Description: "Only safe, namespaced sysctls are allowed.",
		Hint:        "only namespaced, safe sysctls are allowed; set the others on the node",
		PodFields:   []string{"securityContext.sysctls"},
		PodKeys:     []string{"securityContext"},
	})

	CheckRestrictedVolumes = register(&Check{
		ID:          "restrictedVolumes",
		Description: "Only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes are allowed.",
		Hint:        "restricted allows only configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected and secret volumes; move the data to one of those",
		PodFields:   []string{"volumes"},
		PodKeys:     []string{"volumes"},
		Items:       true,
	})
	CheckAllowPrivilegeEscalation = register(&Check{
		ID:              "allowPrivilegeEscalation",
		Description:     "Containers must set allowPrivilegeEscalation: false.",
		Hint:            "set allowPrivilegeEscalation: false; the API server refuses it next to privileged: true or an added SYS_ADMIN, so fix those first",
		ContainerFields: []string{"securityContext.allowPrivilegeEscalation"},
		LinuxOnly:       true,
	})
	CheckRunAsNonRoot = register(&Check{
		ID:              "runAsNonRoot",
		Description:     "Containers must run as a non-root user (runAsNonRoot: true).",
		Hint:            "set runAsNonRoot: true at pod level, or on every container",
		PodFields:       []string{"securityContext.runAsNonRoot"},
		PodKeys:         []string{"securityContext"},
		ContainerFields: []string{"securityContext.runAsNonRoot"},
	})
	CheckRunAsUser = register(&Check{
		ID:              "runAsUser",
		Description:     "Containers must not set runAsUser to 0.",
		Hint:            "set runAsUser to the image's non-root UID (psafix does not choose one with --run-as-user none)",
		PodFields:       []string{"securityContext.runAsUser"},
		PodKeys:         []string{"securityContext"},
		ContainerFields: []string{"securityContext.runAsUser"},
		LinuxOnly:       true,
	})
	CheckSeccompProfileRestricted = register(&Check{
		ID:              "seccompProfile_restricted",
		Description:     "A seccomp profile (RuntimeDefault or Localhost) is required.",
		Hint:            "set seccompProfile.type: RuntimeDefault at pod level",
		PodFields:       []string{"securityContext.seccompProfile"},
		ContainerFields: []string{"securityContext.seccompProfile"},
		LinuxOnly:       true,
	})
	CheckCapabilitiesRestricted = register(&Check{
		ID:              "capabilities_restricted",
		Description:     "Containers must drop ALL capabilities and may add only NET_BIND_SERVICE.",
		Hint:            "drop ALL capabilities; add back only NET_BIND_SERVICE",
		ContainerFields: []string{"securityContext.capabilities"},
		LinuxOnly:       true,
	})
	CheckProcMountRestricted = register(&Check{
		ID:              "procMount_restricted",
		Description:     "The default /proc mask is required.",
		Hint:            "procMount must be Default",
		ContainerFields: []string{"securityContext.procMount"},
	})
)
