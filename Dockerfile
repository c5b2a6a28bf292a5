# psafix as a KRM function image, for kustomize (container: image:) and kpt (--image,
# Kptfile pipelines). The entrypoint is 'psafix fn': a ResourceList on standard input, the
# fixed one on standard output.
#
#   docker build -t ghcr.io/psafix/psafix:latest .
#   kpt fn eval --image ghcr.io/psafix/psafix:latest -- level=restricted

FROM golang:1.26 AS build
WORKDIR /src
ENV CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-buildvcs=false
# Modules first, so that a source change does not download them again.
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN go build -trimpath -ldflags="-s -w" -o /out/psafix ./cmd/psafix

# Static binary, no shell, no package manager; distroless's nonroot user (65532).
FROM gcr.io/distroless/static:nonroot
COPY --from=build /out/psafix /usr/local/bin/psafix
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/psafix", "fn"]
