# A Kafka command-line client (kcat, from Debian) for the one-shot client
# service of docker/compose.yaml. Build context: docker/.
FROM debian:bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends kcat \
 && rm -rf /var/lib/apt/lists/*
USER nobody
ENTRYPOINT ["kcat"]
