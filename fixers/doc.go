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
// # run-as-non-root
//
// runAsNonRoot: true at pod level (a container's explicit false is changed in place), and a
// non-zero runAsUser where none is set: the image's own user when the image table knows it,
// else --run-as-user (65532). An explicit runAsUser: 0 is replaced. Containers that would
// then refuse to start (an image known to need root, UID 0 with --run-as-user none, Windows'
// ContainerAdministrator) are reported instead.
//
// # seccomp
//
// seccompProfile.type: RuntimeDefault at pod level; Unconfined (field or the pre-1.19
// annotations) becomes RuntimeDefault; Localhost stays.
//
// # no-privilege-escalation
//
// allowPrivilegeEscalation: false on every container, except where the API server would
// refuse it: privileged containers and containers keeping an added SYS_ADMIN.
//
// # capabilities
//
// capabilities.drop gains ALL; added capabilities the level forbids are removed and each
// removal reported, but only from pods that can then pass.
//
// # read-only-root
//
// readOnlyRootFilesystem: true, with an emptyDir mounted at each writable path (an existing
// mount of the path, or an emptyDir volume of that name, is reused). No PSS level requires
// it; an explicit false is kept and reported.
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
