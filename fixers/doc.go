// Package fixers decides what to change in a pod spec so that it passes the Pod Security
// Standards, and checks the result with k8s.io/pod-security-admission.
//
// Each fixer is one registered value (All) with an ID, the PSA checks it answers, a one-line
// Doc and a Fix function; a fixer runs for a pod only when one of its checks fails at the
// target level and version. Fixers decide on the typed corev1.PodSpec and record changes
// through the pod's Editor, which passes them to a kio.Editor and keeps a Change for each
// (fixer, workload, container, field path, old and new value, risk); the Engine turns the
// edits into byte edits of the original file, verifies them (the result parses, keeps every
// comment and equals the original outside the fields the fixers own), re-evaluates the pod
// and hands the Changes of the documents it changed to every reader in Result.Changes.
//
// Edits are safe (nothing a normal process relies on changes) or risky (they depend on what
// the image does at run time, or override a value the author wrote). Risky edits are all or
// nothing: made only on pods that then pass their level (Pod.CanHarden), each reported with
// what psafix assumed; a pod that cannot pass gets the safe edits and one note (safety.go).
//
// # run-as-non-root
//
// runAsNonRoot: true at pod level, and a non-zero runAsUser where none is set: the image's
// own user when the image table knows it, else --run-as-user (65532), with fsGroup and
// fsGroupChangePolicy: OnRootMismatch on pods with persistent volumes. runAsUser: 0 and
// runAsNonRoot: false (with no non-zero UID) are the author's decisions, changed only with
// --fix-explicit-root. An image known to need root, an init container that runs chown and
// Windows' ContainerAdministrator keep the pod as it is. Knative Services get the fields on
// their containers.
//
// # seccomp
//
// seccompProfile.type: RuntimeDefault at pod level; Unconfined (field or the pre-1.19
// annotations) becomes RuntimeDefault on pods that then pass; Localhost stays. A pod a node
// selector puts on Windows gets spec.os.name: windows.
//
// # no-privilege-escalation
//
// allowPrivilegeEscalation: false on every container, except where the API server would
// refuse it: privileged containers and containers keeping an added SYS_ADMIN. An explicit
// true changes only on pods that then pass.
//
// # capabilities
//
// capabilities.drop gains ALL (never on privileged containers); with --remove-capabilities,
// added capabilities the level forbids are removed and each removal reported. Non-root
// containers declaring ports below 1024 get the net.ipv4.ip_unprivileged_port_start sysctl.
//
// # read-only-root
//
// readOnlyRootFilesystem: true, with an emptyDir mounted at each writable path (an existing
// mount of the path, or an emptyDir volume of that name, is reused), on containers whose
// image's writable paths are known (--read-only-root=known), every container (all) or none
// (off). No PSS level requires it; an explicit false is kept and reported.
//
// # apparmor
//
// An unconfined AppArmor profile (field or annotation) becomes RuntimeDefault.
//
// # proc-mount
//
// procMount: Unmasked becomes Default.
//
// # Reported, never fixed
//
// Privileged containers, host namespaces, hostPath and other restricted volumes, host
// ports, HostProcess, SELinux options, unsafe sysctls, probe and lifecycle hosts: Hints says
// why and what to do.
package fixers
