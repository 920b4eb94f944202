"""Kubernetes: Deployment, Service, HorizontalPodAutoscaler and a kustomization.

One server worker per pod (WEB_CONCURRENCY=1): the pod's memory is then the measured RSS
of one worker, and the cluster scales by adding pods, which the autoscaler does on CPU.
YAML strings are written with ``json.dumps``, which YAML reads as quoted scalars.
"""

from __future__ import annotations

import json

from tabship.deploy.targets._common import CONTAINER_PORT, DeploySpec, header, render_readme_common
from tabship.deploy.targets._docker import APP_UID, render_docker_section
from tabship.deploy.targets._log import k8s_log_env, render_log_section

__all__ = [
    "render_deployment",
    "render_hpa",
    "render_kubernetes_readme",
    "render_kustomization",
    "render_service",
]

MIN_REPLICAS = 2
MAX_REPLICAS = 10
CPU_TARGET_PERCENT = 70


def render_deployment(spec: DeploySpec) -> str:
    name = json.dumps(spec.name)
    return f"""\
{header(spec)}apiVersion: apps/v1
kind: Deployment
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
spec:
  replicas: {MIN_REPLICAS}
  selector:
    matchLabels:
      app.kubernetes.io/name: {name}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {name}
    spec:
      automountServiceAccountToken: false
      securityContext:
        runAsNonRoot: true
        runAsUser: {APP_UID}
        runAsGroup: {APP_UID}
        seccompProfile:
          type: RuntimeDefault
      containers:
        - name: server
          image: {json.dumps(spec.image)}
          imagePullPolicy: IfNotPresent
          ports:
            - name: http
              containerPort: {CONTAINER_PORT}
          env:
            - name: PORT
              value: "{CONTAINER_PORT}"
            - name: WEB_CONCURRENCY
              value: "1"
{k8s_log_env(spec)}          resources:
            # Measured: one worker peaked at {spec.measured_rss_mib} MiB after loading the
            # model and predicting; request ~1.5x, limit 2x.
            requests:
              cpu: 500m
              memory: {spec.memory_request_mib}Mi
            limits:
              cpu: "1"
              memory: {spec.memory_limit_mib}Mi
          # The image answers /health within about 2 s of its start (measured by
          # tabship's image test), so readiness is polled from the first second and
          # liveness waits 10 s: five times that, for a slow node.
          readinessProbe:
            httpGet:
              path: /ready
              port: http
            initialDelaySeconds: 1
            periodSeconds: 2
            failureThreshold: 3
          livenessProbe:
            httpGet:
              path: /health
              port: http
            initialDelaySeconds: 10
            periodSeconds: 10
            failureThreshold: 3
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            capabilities:
              drop: ["ALL"]
          volumeMounts:
            - name: tmp
              mountPath: /tmp
      volumes:
        - name: tmp
          emptyDir:
            sizeLimit: 64Mi
"""


def render_service(spec: DeploySpec) -> str:
    name = json.dumps(spec.name)
    return f"""\
{header(spec)}apiVersion: v1
kind: Service
metadata:
  name: {name}
  labels:
    app.kubernetes.io/name: {name}
spec:
  type: ClusterIP
  selector:
    app.kubernetes.io/name: {name}
  ports:
    - name: http
      port: 80
      targetPort: http
"""


def render_hpa(spec: DeploySpec) -> str:
    name = json.dumps(spec.name)
    return f"""\
{header(spec)}apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {name}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {name}
  minReplicas: {MIN_REPLICAS}
  maxReplicas: {MAX_REPLICAS}
  metrics:
    - type: Resource
      resource:
        name: cpu
        target:
          type: Utilization
          averageUtilization: {CPU_TARGET_PERCENT}
"""


def render_kustomization(spec: DeploySpec) -> str:
    repository, _, tag = spec.image.rpartition(":")
    return f"""\
{header(spec)}apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml
  - service.yaml
  - hpa.yaml
images:
  - name: {json.dumps(repository or spec.image)}
    newTag: {json.dumps(tag or "latest")}
"""


def render_kubernetes_readme(spec: DeploySpec) -> str:
    repository = spec.image.rpartition(":")[0] or spec.image
    return (
        render_readme_common(spec)
        + "\n"
        + render_docker_section(spec)
        + f"""
## Kubernetes

Build the image and push it to a registry your cluster pulls from, point the
kustomization at it, and apply:

```sh
docker build -t registry.example.com/{repository}:v1 .
docker push registry.example.com/{repository}:v1
kustomize edit set image {repository}=registry.example.com/{repository}:v1
kubectl apply -k .
kubectl rollout status deployment/{spec.name}
kubectl port-forward service/{spec.name} 8000:80   # then: curl localhost:8000/health
```

## Scaling the server horizontally

- **Workers per pod.** Each pod runs one server worker (`WEB_CONCURRENCY=1`) with one
  CPU at most. A worker holds its own copy of the model, so memory grows with workers;
  one per pod keeps the measured sizing right ({spec.measured_rss_mib} MiB peak RSS,
  request {spec.memory_request_mib}Mi, limit {spec.memory_limit_mib}Mi). To run more per
  pod, raise `WEB_CONCURRENCY` and scale the memory and CPU with it.
- **Replicas.** The Deployment starts {MIN_REPLICAS} replicas behind the Service, which
  spreads requests over the pods that pass `/ready`; `kubectl scale deployment/{spec.name}
  --replicas=4` changes it by hand.
- **Autoscaling.** `hpa.yaml` keeps average CPU near {CPU_TARGET_PERCENT}% of the request
  with {MIN_REPLICAS} to {MAX_REPLICAS} replicas (it needs the metrics-server). Predictions
  are stateless, so any pod can answer any request and pods can be added or removed freely.
"""
        + render_log_section(spec, "kubernetes")
    )
