# The ft-migrate shim as a container:
#   docker build -t ft-migrate-shim .
#   docker run --rm -p 8787:8787 ft-migrate-shim --workers 2
# Arguments after the image name are added to `ft-migrate shim serve --host 0.0.0.0`.

FROM python:3.12-slim AS build
WORKDIR /src
COPY . .
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.12-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir "$(ls /wheels/ft_migrate-*.whl)[shim]" \
    && rm -rf /wheels \
    && useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin shim
USER 10001
EXPOSE 8787
# uvicorn stops on SIGTERM: requests in flight finish (--shutdown-timeout, 25 s by default),
# so give `docker stop` more than that: docker stop -t 30.
STOPSIGNAL SIGTERM
ENTRYPOINT ["ft-migrate", "shim", "serve", "--host", "0.0.0.0"]
