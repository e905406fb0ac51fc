# Build: the SQLite driver needs cgo.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o /out/hanbox ./cmd/hanbox

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates tzdata && rm -rf /var/lib/apt/lists/* \
 && useradd --system --home /data hanbox && mkdir -p /data && chown hanbox /data
COPY --from=build /out/hanbox /usr/local/bin/hanbox
USER hanbox
ENV HANBOX_ADDR=0.0.0.0:8080 HANBOX_DATA=/data
EXPOSE 8080
VOLUME /data
HEALTHCHECK --interval=30s --timeout=3s CMD ["/bin/sh", "-c", "exec 3<>/dev/tcp/127.0.0.1/8080 && printf 'GET /readyz HTTP/1.0\\r\\n\\r\\n' >&3 && grep -q ready <&3"]
ENTRYPOINT ["hanbox"]
CMD ["serve"]
