// Package imagelock keeps what registries say about the images a project runs: each image's
// user (uid, gid) and the volumes its config declares, read once with --resolve-images and
// written to a lock file, .psafix-images.yaml, that every later run reads offline. The lock
// is what makes image facts reproducible: a run without --resolve-images, in CI or on a
// laptop, gives the same output whatever the network does, and a change of facts is a
// reviewed change of a file.
//
// The flow is one way: Normalize the references the manifests name, ask the Lock which are
// Missing, Resolve those (concurrently, with a bound and a timeout; an image that cannot be
// read is a Note, never an error), Add the entries, Write the lock, and hand Images to the
// fixers as facts of the same kind as the .psafix.yaml images: table.
//
// It lives under rollout/ because of who reads its file: the lock, .psafix-images.yaml, sits
// beside .psafix.yaml and is read with it, once per run, before any fixer runs; its entries
// join the config's images: table as facts of the rollout, and the fixers receive them as
// plain values (fixers.Options), never the file. It is a package of its own, not part of
// rollout, because it is the one part of psafix that talks to the network: rollout, the
// fixers and the byte editor stay free of registry clients, credentials and HTTP, and a
// build that never resolves images links none of them. Only the command line imports it.
package imagelock
