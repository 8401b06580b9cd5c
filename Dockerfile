# twgate as a container image, for CI systems other than GitHub Actions (the GitHub Action downloads a release
# binary instead; see action.yml). Multi-stage: build with the Rust toolchain, run on distroless/cc (glibc,
# libgcc and the CA certificates twgate's TLS verifier reads), as a non-root user.
#
#   docker build -t twgate .
#   docker run --rm -e TWILIO_ACCOUNT_SID -e TWILIO_AUTH_TOKEN -v "$PWD:/work:ro" -w /work twgate audit
#
# GitHub's Docker container actions run as root and need write access to the workspace and GITHUB_* files; if
# action.yml is ever switched to this image, it must run with `USER root` (or `options: --user root`).
#
# Both bases are pinned by digest (taken from public Dockerfiles; refresh them together with the tag comment).

# rust:1.89-slim-bookworm (the crate's rust-version; bookworm's glibc matches the runtime's Debian 12)
FROM rust:1.89-slim-bookworm@sha256:d7fc7de78bb8c1469933aeecbf801314d30d7d6e9f0578bba4cfa285bfa37fe6 AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock policy.example.yaml ./
COPY src ./src
COPY crates ./crates
RUN cargo build --release --locked --bin twgate

# gcr.io/distroless/cc-debian12 (Debian 12, glibc, CA certificates, no shell)
FROM gcr.io/distroless/cc-debian12@sha256:b7550f0b15838de14c564337eef2b804ba593ae55d81ca855421bd52f19bb480
COPY --from=build /src/target/release/twgate /usr/local/bin/twgate
# distroless's "nonroot" user and group
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/twgate"]
CMD ["--help"]
