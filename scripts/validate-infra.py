#!/usr/bin/env python3
"""Validates infra/ where Docker and Kubernetes cannot run (our machines have no engine).

- Every YAML file parses; every Kubernetes manifest is checked against the Kubernetes JSON schemas
  (kubernetes-validate, strict: unknown fields are errors) for the cluster version below.
- The Deployment probes /health/live and /health/ready, runs as non-root with a read-only root
  filesystem; the HPA, PDB and migration Job use the stable APIs; kustomization lists existing files.
- docker-compose.yml has PostgreSQL, two server instances behind the load balancer, the Claim.MD
  stand-in and the SMTP sink, with health checks where the servers depend on them.
- The Dockerfile is multi-stage, runs as a non-root user and has a health check.
- infra/citus/distribute.sql names every tenant table of the migrations (a table with practice_id):
  distributed by practice_id, or declared reference/local on purpose.

Exit status 0 when everything holds; each problem is printed with its file.
"""
import glob
import os
import re
import sys

import yaml
import kubernetes_validate

KUBERNETES_VERSION = "1.31.0"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
INFRA = os.path.join(ROOT, "infra")
problems = []


def problem(path, message):
    problems.append("%s: %s" % (os.path.relpath(path, ROOT), message))


def load_all(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return [doc for doc in yaml.safe_load_all(handle) if doc is not None]
    except yaml.YAMLError as error:
        problem(path, "not valid YAML: %s" % error)
        return []


def check_kubernetes():
    folder = os.path.join(INFRA, "k8s")
    kinds = {}
    for path in sorted(glob.glob(os.path.join(folder, "*.yaml")) + glob.glob(os.path.join(folder, "*.yml"))):
        for doc in load_all(path):
            if os.path.basename(path).startswith("kustomization"):
                for resource in doc.get("resources", []):
                    if not os.path.exists(os.path.join(folder, resource)):
                        problem(path, "lists %s, which does not exist" % resource)
                continue
            try:
                kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
            except kubernetes_validate.ValidationError as error:
                problem(path, "%s %s: %s at %s" % (doc.get("kind"), doc.get("metadata", {}).get("name"), error.message,
                                                  "/".join(str(part) for part in error.path)))
            except Exception as error:  # unknown kinds and schema problems
                problem(path, "%s cannot be validated: %s" % (doc.get("kind"), error))
            kinds.setdefault(doc.get("kind"), []).append((path, doc))
    for kind in ("Deployment", "Service", "ConfigMap", "HorizontalPodAutoscaler", "PodDisruptionBudget", "Job"):
        if kind not in kinds:
            problem(folder, "has no %s" % kind)
    for path, deployment in kinds.get("Deployment", []):
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        live = container.get("livenessProbe", {}).get("httpGet", {}).get("path")
        ready = container.get("readinessProbe", {}).get("httpGet", {}).get("path")
        if live != "/health/live":
            problem(path, "livenessProbe must GET /health/live (has %s)" % live)
        if ready != "/health/ready":
            problem(path, "readinessProbe must GET /health/ready (has %s)" % ready)
        context = {**pod.get("securityContext", {}), **container.get("securityContext", {})}
        if not context.get("runAsNonRoot"):
            problem(path, "must run as non-root")
        if not container.get("securityContext", {}).get("readOnlyRootFilesystem"):
            problem(path, "the container's root filesystem should be read-only")
        if not container.get("resources", {}).get("limits"):
            problem(path, "the container needs resource limits")
    for path, hpa in kinds.get("HorizontalPodAutoscaler", []):
        if hpa.get("apiVersion") != "autoscaling/v2":
            problem(path, "HPA must use autoscaling/v2")
    for path, pdb in kinds.get("PodDisruptionBudget", []):
        if pdb.get("apiVersion") != "policy/v1":
            problem(path, "PDB must use policy/v1")


def check_compose():
    path = os.path.join(INFRA, "docker-compose.yml")
    if not os.path.exists(path):
        problem(path, "missing")
        return
    docs = load_all(path)
    if not docs:
        return
    services = docs[0].get("services", {})
    for name in ("postgres", "claimmd", "smtp", "lb"):
        if name not in services:
            problem(path, "has no %s service" % name)
    servers = [name for name, service in services.items() if name.startswith("ledgerline-")]
    if len(servers) < 2:
        problem(path, "needs at least two ledgerline instances (has %s)" % servers)
    if "healthcheck" not in services.get("postgres", {}):
        problem(path, "postgres needs a healthcheck for the servers to wait on")
    for name in servers:
        service = services[name]
        environment = service.get("environment", {})
        names = set(environment) if isinstance(environment, dict) else {item.split("=")[0] for item in environment}
        if "DATABASE_URL" not in names and not service.get("env_file"):
            problem(path, "%s has no DATABASE_URL" % name)
        if "image" not in service and "build" not in service:
            problem(path, "%s has neither image nor build" % name)


def check_dockerfile():
    path = os.path.join(INFRA, "Dockerfile")
    if not os.path.exists(path):
        problem(path, "missing")
        return
    text = open(path, encoding="utf-8").read()
    instructions = [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]
    if sum(1 for line in instructions if line.upper().startswith("FROM ")) < 2:
        problem(path, "must be multi-stage (build image, then a slim runtime image)")
    users = [line.split(None, 1)[1].strip() for line in instructions if line.upper().startswith("USER ")]
    if not users or users[-1].split(":")[0] in ("root", "0"):
        problem(path, "must end as a non-root USER")
    if not any(line.upper().startswith("HEALTHCHECK ") for line in instructions):
        problem(path, "has no HEALTHCHECK")


def tenant_tables():
    """Tables created by the migrations with a practice_id column."""
    tables = set()
    for path in sorted(glob.glob(os.path.join(ROOT, "Sources", "Storage", "SQL", "*.sql"))):
        text = open(path, encoding="utf-8").read()
        for match in re.finditer(r"create table (\w+) \((.*?)\n\);", text, re.S):
            if re.search(r"^\s*practice_id\b", match.group(2), re.M):
                tables.add(match.group(1))
    return tables


def check_citus():
    path = os.path.join(INFRA, "citus", "distribute.sql")
    if not os.path.exists(path):
        problem(path, "missing")
        return
    text = open(path, encoding="utf-8").read()
    distributed = set(re.findall(r"create_distributed_table\(\s*'(\w+)'\s*,\s*'practice_id'", text))
    reference = set(re.findall(r"create_reference_table\(\s*'(\w+)'", text))
    local = set(re.findall(r"--\s*local:\s*(\w+)", text))
    known = tenant_tables()
    for table in sorted(known - distributed - reference - local):
        problem(path, "tenant table %s is neither distributed by practice_id nor declared reference/local" % table)
    for table in sorted(distributed - known):
        problem(path, "distributes %s, which no migration creates with practice_id" % table)
    if "practices" not in distributed:
        problem(path, "practices must be distributed (the colocation anchor)")


def main():
    if not os.path.isdir(INFRA):
        print("validate-infra: no infra/ folder")
        return 1
    for path in glob.glob(os.path.join(INFRA, "**", "*.y*ml"), recursive=True):
        load_all(path)
    check_kubernetes()
    check_compose()
    check_dockerfile()
    check_citus()
    if problems:
        print("validate-infra: %d problem(s)" % len(problems))
        for line in problems:
            print("  " + line)
        return 1
    manifests = len(glob.glob(os.path.join(INFRA, "k8s", "*.y*ml")))
    print("validate-infra: ok (%d Kubernetes files against schema %s, compose, Dockerfile, Citus covers %d tenant tables)"
          % (manifests, KUBERNETES_VERSION, len(tenant_tables())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
