"""A multilingual Hugo site in the shape real ones have (kubernetes/website, a policy institute's
docs), with a git history made on set days: what a first scan of an adopted site must read.

The repository holds `hugo.toml` and `content/`, the content tree transync scans:

- `content/en/` (the sources), `content/ru/`, `content/tr/`: path-paired translations
  (`content/en/docs/x.md` ↔ `content/ru/docs/x.md`); `_index.md` section pages, `index.md` page
  bundles with images beside them, a `.html` page; YAML (`---`) and TOML (`+++`) front matter
  with `description`, `summary`, `linkTitle` and a list of card mappings (`cards`); shortcodes
  (`note`, `glossary_tooltip`, `figure`, `heading`), tables and code fences;
- a headless bundle (`includes/`: `headless: true` in its index.md, resource pages beside it;
  the Russian one has only its index.md),
  stub translations (`untranslated: 1`; one with no title and an empty body), a Russian page
  whose English original was deleted, a page with nothing to translate;
- `content/de/`, `content/zh-cn/` and `overview.de.md`: languages the site has, transync not;
  files that are not content (OWNERS, examples/*.yaml, images), a hidden editor swap file, and
  files that TRANSYNC_IGNORE patterns (`IGNORE`) leave out.

History (day N = EPOCH + N days, tests.helpers.gitrepo): day 0 the English sources; day 2 the
translations; day 3 the Russian `nodes` on the long-lived branch `ru-nodes` (made from the day-0
source); day 5 `overview` and `configure-pod` edited in English; day 6 `nodes` and `debug` edited,
`dockershim` deleted; day 7 the Turkish `overview` (from the day-5 source); day 8 the Russian
`configure-pod` renamed into place (`git mv`); day 10 `ru-nodes` merged. The Turkish `debug` is
written from the day-6 source and never committed.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from tests.helpers.gitrepo import GitRepo, moment

LANGS = ("en", "tr", "ru")
#: TRANSYNC_FRONT_MATTER_FIELDS for the site: the defaults and the docs home's cards.
FIELDS = ("title", "description", "summary", "linkTitle", "cards")
#: TRANSYNC_IGNORE for the site: generated reference pages and the localization teams' READMEs.
IGNORE = "**/reference/generated/ README.md"

# -- keys and paths (relative to the content tree) ---------------------------------------------

OVERVIEW = "docs/concepts/overview"
NODES = "docs/concepts/architecture/nodes"
PODS = "docs/concepts/workloads/pods"
DOCKERSHIM = "docs/concepts/cluster-administration/dockershim"
CONFIGURE = "docs/tasks/configure-pod"
DEBUG = "docs/tasks/debug"
OPENAPI = "docs/reference/openapi"
TUTORIALS = "docs/tutorials"
MINIKUBE = "docs/tutorials/hello-minikube"
DOCS = "docs"
CONCEPTS = "docs/concepts"
COMMUNITY = "community"
BLOG = "blog/_posts/2024-03-12-sidecar-containers"

PATHS = {
    OVERVIEW: "docs/concepts/overview.md",
    NODES: "docs/concepts/architecture/nodes.md",
    PODS: "docs/concepts/workloads/pods/index.md",
    DOCKERSHIM: "docs/concepts/cluster-administration/dockershim.md",
    CONFIGURE: "docs/tasks/configure-pod.md",
    DEBUG: "docs/tasks/debug.md",
    OPENAPI: "docs/reference/openapi.md",
    TUTORIALS: "docs/tutorials/_index.md",
    MINIKUBE: "docs/tutorials/hello-minikube.md",
    DOCS: "docs/_index.md",
    CONCEPTS: "docs/concepts/_index.md",
    COMMUNITY: "community/_index.html",
    BLOG: "blog/_posts/2024-03-12-sidecar-containers.md",
}


def origin(key: str, lang: str) -> str:
    """Where post `key` in `lang` lives in the content tree."""
    return f"{lang}/{PATHS[key]}"


# -- English sources --------------------------------------------------------------------------

OVERVIEW_NAME_V1 = (
    "The name Kubernetes originates from Greek, meaning helmsman or pilot. K8s as an "
    'abbreviation results from counting the eight letters between the "K" and the "s". '
    "Google open-sourced the Kubernetes project in 2014."
)
OVERVIEW_NAME_V2 = (
    OVERVIEW_NAME_V1 + " Kubernetes combines over 15 years of Google's experience running "
    "production workloads at scale with best-of-breed ideas and practices from the community."
)
OVERVIEW_VIRTUALIZED = (
    "**Virtualized deployment era:** As a solution, virtualization was introduced. It allows "
    "you to run multiple Virtual Machines (VMs) on a single physical server's CPU."
)
OVERVIEW_CONTAINERS = (
    "Containers are a good way to bundle and run your applications. In a production "
    "environment, you need to manage the containers that run the applications and ensure "
    "that there is no downtime."
)
OVERVIEW_RESCUE = (
    "That's how Kubernetes comes to the rescue! Kubernetes provides you with a framework to "
    "run distributed systems resiliently. It takes care of scaling and failover for your "
    "application, provides deployment patterns, and more."
)

EN_OVERVIEW_V1 = f"""---
title: Overview
description: >
  Kubernetes is a portable, extensible, open source platform for managing containerized
  workloads and services.
content_type: concept
weight: 20
card:
  name: concepts
  weight: 10
  anchors:
  - anchor: "#why-you-need-kubernetes-and-what-can-it-do"
    title: Why Kubernetes?
no_list: true
---

<!-- overview -->

This page is an overview of Kubernetes.

<!-- body -->

{OVERVIEW_NAME_V1}

## Going back in time {{#going-back-in-time}}

**Traditional deployment era:** Early on, organizations ran applications on physical
servers. There was no way to define resource boundaries for applications in a physical
server, and this caused resource allocation issues.

{OVERVIEW_VIRTUALIZED}

**Container deployment era:** Containers are similar to VMs, but they have relaxed isolation
properties to share the Operating System (OS) among the applications.

## Why you need Kubernetes and what it can do {{#why-you-need-kubernetes-and-what-can-it-do}}

{OVERVIEW_CONTAINERS}

Kubernetes provides you with:

* **Service discovery and load balancing** Kubernetes can expose a container using the DNS
  name or using their own IP address.
* **Storage orchestration** Kubernetes allows you to automatically mount a storage system of
  your choice, such as local storages, public cloud providers, and more.
* **Self-healing** Kubernetes restarts containers that fail, replaces containers, and kills
  containers that don't respond to your user-defined health check.

## {{{{% heading "whatsnext" %}}}}

* Take a look at the [Kubernetes Components](/docs/concepts/overview/components/)
* Ready to [Get Started](/docs/setup/)?
"""

# Day 5: one paragraph changed, one removed, one added (worked out by hand: 1, 1, 1).
EN_OVERVIEW_V2 = (
    EN_OVERVIEW_V1.replace(OVERVIEW_NAME_V1, OVERVIEW_NAME_V2)
    .replace(OVERVIEW_VIRTUALIZED + "\n\n", "")
    .replace(OVERVIEW_CONTAINERS, OVERVIEW_CONTAINERS + "\n\n" + OVERVIEW_RESCUE)
)

NODES_MANAGEMENT_V1 = "There are two main ways to have Nodes added to the API server:"
NODES_MANAGEMENT_V2 = (
    "There are two main ways to have Nodes added to the "
    '{{< glossary_tooltip text="API server" term_id="kube-apiserver" >}}:'
)

EN_NODES_V1 = f"""---
reviewers:
- caesarxuchao
- dchen1107
title: Nodes
content_type: concept
weight: 10
---

<!-- overview -->

Kubernetes runs your workload by placing containers into Pods to run on _Nodes_. A node may
be a virtual or physical machine, depending on the cluster.

## Management

{NODES_MANAGEMENT_V1}

1. The kubelet on a node self-registers to the control plane
2. You (or another human user) manually add a Node object

{{{{< note >}}}}
Kubernetes keeps the object for the invalid Node and continues checking to see whether it
becomes healthy.
{{{{< /note >}}}}
"""
EN_NODES_V2 = EN_NODES_V1.replace(NODES_MANAGEMENT_V1, NODES_MANAGEMENT_V2)

EN_PODS = """---
title: Pods
content_type: concept
weight: 10
no_list: true
card:
  name: concepts
  weight: 60
---

<!-- overview -->

_Pods_ are the smallest deployable units of computing that you can create and manage in
Kubernetes.

A _Pod_ is a group of one or more
{{< glossary_tooltip text="containers" term_id="container" >}}, with shared storage and
network resources, and a specification for how to run the containers. See
[Pod lifecycle](/docs/concepts/workloads/pods/pod-lifecycle/) for details.

{{< note >}}
You need to install a [container runtime](/docs/setup/production-environment/container-runtimes/)
into each node in the cluster so that Pods can run there.
{{< /note >}}

{{< figure src="pod-lifecycle.svg" alt="A Pod moving through its phases"
    caption="Figure 1. The phases of a Pod" class="diagram-medium" >}}

<!-- body -->

## Using Pods

| Phase | What it means |
|-------|---------------|
| `Pending` | The Pod has been accepted by the cluster, but its containers are not ready yet. |
| `Running` | The Pod has been bound to a node, and all of its containers have been created. |

The following is an example of a Pod which consists of a container running the image
`nginx:1.14.2`.

```yaml
apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
  - name: nginx
    image: nginx:1.14.2
    ports:
    - containerPort: 80
```

To create the Pod shown above, run the following command:

```shell
kubectl apply -f https://k8s.io/examples/pods/simple-pod.yaml
```
"""

EN_DOCKERSHIM = """---
title: Dockershim Removal FAQ
content_type: concept
weight: 70
---

Kubernetes removed the dockershim component in release 1.24. Docker Engine users need a
container runtime that implements the Container Runtime Interface.
"""

CONFIGURE_INTRO_V1 = (
    "This page shows how to assign a memory *request* and a memory *limit* to a Container."
)
CONFIGURE_INTRO_V2 = (
    CONFIGURE_INTRO_V1 + " A Container is guaranteed to have as much memory "
    "as it requests, but is not allowed to use more memory than its limit."
)

EN_CONFIGURE_V1 = f"""---
title: Assign Memory Resources to Containers and Pods
content_type: task
weight: 10
---

<!-- overview -->

{CONFIGURE_INTRO_V1}

## Specify a memory request and a memory limit

To specify a memory request for a Container, include the `resources:requests` field in the
Container's resource manifest. To specify a memory limit, include `resources:limits`.

```shell
kubectl apply -f https://k8s.io/examples/pods/resource/memory-request-limit.yaml \\
  --namespace=mem-example
```
"""
EN_CONFIGURE_V2 = EN_CONFIGURE_V1.replace(CONFIGURE_INTRO_V1, CONFIGURE_INTRO_V2)

DEBUG_LOGS_V1 = "Use `kubectl logs` to read the logs of a container in a Pod."
DEBUG_LOGS_V2 = (
    "Use `kubectl logs` to read the logs of a container in a Pod, and "
    "`kubectl logs --previous` for the container that crashed before it."
)

EN_DEBUG_V1 = f"""---
title: Debug Pods
content_type: task
weight: 10
---

The first step in debugging a Pod is taking a look at it.

{DEBUG_LOGS_V1}
"""
EN_DEBUG_V2 = EN_DEBUG_V1.replace(DEBUG_LOGS_V1, DEBUG_LOGS_V2)

EN_OPENAPI = """---
layout: openapi
weight: 90
toc_hide: true
---

```json
{"swagger": "2.0", "info": {"title": "Kubernetes", "version": "v1.29.0"}}
```
"""

EN_TUTORIALS = """---
title: Tutorials
main_menu: true
no_list: true
weight: 60
content_type: concept
---

<!-- overview -->

This section of the Kubernetes documentation contains tutorials. A tutorial shows how to
accomplish a goal that is larger than a single [task](/docs/tasks/).

## Basics

* [Kubernetes Basics](/docs/tutorials/kubernetes-basics/) is an in-depth interactive tutorial.
* [Hello Minikube](/docs/tutorials/hello-minikube/)
"""

EN_MINIKUBE = """---
title: Hello Minikube
content_type: tutorial
weight: 5
menu:
  main:
    title: "Get Started"
    weight: 10
---

<!-- overview -->

This tutorial shows you how to run a sample app on Kubernetes using minikube. The tutorial
provides a container image that uses NGINX to echo back all the requests.

## {{% heading "objectives" %}}

* Deploy a sample application to minikube.
* Run the app.
* View application logs.

## Create a minikube cluster

```shell
minikube start
```
"""

EN_DOCS = """---
# The docs home: the cards below are the landing page's tiles.
title: Kubernetes Documentation
linkTitle: Documentation
no_list: true
content_type: concept
description: >-
  Kubernetes is an open source container orchestration engine for automating deployment,
  scaling, and management of containerized applications.
cards:
- name: concepts
  title: "Understand Kubernetes"
  description: "Learn about Kubernetes and its fundamental concepts."
  button: "View Concepts"
  button_path: "/docs/concepts"
- name: tutorials
  title: "Try Kubernetes"
  description: "Follow tutorials to learn how to deploy applications in Kubernetes."
  button: "View Tutorials"
  button_path: "/docs/tutorials"
---

<!-- overview -->

Kubernetes is an open source container orchestration engine for automating deployment,
scaling, and management of containerized applications. The open source project is hosted by
the Cloud Native Computing Foundation ([CNCF](https://www.cncf.io/about)).
"""

EN_CONCEPTS = """+++
title = "Concepts"
main_menu = true
content_type = "concept"
weight = 40
description = "The Concepts section helps you learn about the parts of the Kubernetes system."
+++

<!-- overview -->

The Concepts section helps you learn about the parts of the Kubernetes system and the
abstractions Kubernetes uses to represent your cluster.
"""

EN_COMMUNITY = """---
title: Community
description: The Kubernetes community is made up of people from all over the world.
layout: basic
cid: community
menu:
  main:
    weight: 50
---

<div class="newcommunitywrapper">

<div class="intro">
<p>The Kubernetes community &mdash; users, contributors, and the culture we've built
together &mdash; is one of the biggest reasons for the meteoric rise of this open source
project.</p>
</div>

<h2 id="values">Community values</h2>
<p>The Kubernetes Community values are the keystone to the ongoing success of the project.</p>
<ul>
  <li>Distribution is better than centralization</li>
  <li>Community over product or company</li>
  <li>Automation over process</li>
</ul>

</div>
"""

EN_BLOG = """+++
# Release blog: the summary is what the blog's list page shows.
title = "Kubernetes 1.29: Sidecar Containers Graduate to Beta"
date = 2024-03-12
slug = "sidecar-containers-beta"
author = "Gunju Kim (NAVER), Todd Neal (AWS)"
description = "Sidecar containers are now enabled by default in Kubernetes 1.29."
summary = "The SidecarContainers feature gate is beta and on by default."
tags = ["release", "sidecar"]

[params]
featured = true
+++

With Kubernetes 1.29, the feature to support sidecar containers is graduating to beta and
is enabled by default.

| Release | Stage | Feature gate default |
|---------|-------|----------------------|
| 1.28 | alpha | off |
| 1.29 | beta | on |

To learn more, read [Sidecar Containers](/docs/concepts/workloads/pods/sidecar-containers/).
"""

EN_INCLUDES_INDEX = "---\nheadless: true\n---\n"
EN_PREREQS = (
    "You need to have a Kubernetes cluster, and the kubectl command-line tool must "
    "be configured to communicate with your cluster.\n"
)
EN_STORAGE_PREREQS = (
    "You need a Kubernetes cluster with a default StorageClass; "
    "`kubectl get storageclass` lists them.\n"
)

EN_KUBECTL_GENERATED = "---\ntitle: kubectl\n---\n\nGenerated from the kubectl source.\n"
EN_KUBELET_GENERATED = "---\ntitle: kubelet\n---\n\nGenerated from the kubelet source.\n"
EN_OVERVIEW_DE = "---\ntitle: Überblick\n---\n\nDiese Seite bietet einen Überblick.\n"

# -- Russian ----------------------------------------------------------------------------------

RU_OVERVIEW_NAME = (
    "Название Kubernetes происходит от греческого слова, означающего «рулевой» или «штурман». "
    "Сокращение K8s получено подсчётом восьми букв между «K» и «s». Компания Google открыла "
    "исходный код проекта Kubernetes в 2014 году."
)

RU_OVERVIEW = f"""---
title: Обзор
description: >
  Kubernetes — это переносимая расширяемая платформа с открытым исходным кодом для управления
  контейнеризованными рабочими нагрузками и сервисами.
content_type: concept
weight: 20
card:
  name: concepts
  weight: 10
no_list: true
---

<!-- overview -->

Эта страница — обзор Kubernetes.

<!-- body -->

{RU_OVERVIEW_NAME}

## Назад в прошлое {{#going-back-in-time}}

**Эра традиционного развёртывания:** сначала организации запускали приложения на физических
серверах. Задать границы ресурсов для приложений на физическом сервере было нельзя, и это
приводило к проблемам с распределением ресурсов.

**Эра виртуализированного развёртывания:** в качестве решения появилась виртуализация. Она
позволяет запускать несколько виртуальных машин (ВМ) на одном физическом сервере.

**Эра контейнерного развёртывания:** контейнеры похожи на ВМ, но у них ослаблена изоляция,
чтобы приложения могли совместно использовать операционную систему (ОС).

## Зачем нужен Kubernetes и что он может сделать {{#why-you-need-kubernetes-and-what-can-it-do}}

Контейнеры — хороший способ упаковывать и запускать приложения. В продакшене нужно управлять
контейнерами, в которых работают приложения, и следить, чтобы не было простоев.

Kubernetes предоставляет вам:

* **Обнаружение сервисов и балансировку нагрузки** Kubernetes может обнаружить контейнер по
  имени DNS или по собственному IP-адресу.
* **Оркестрацию хранилища** Kubernetes позволяет автоматически смонтировать систему хранения
  по вашему выбору: локальное хранилище, публичные облака и многое другое.
* **Самовосстановление** Kubernetes перезапускает отказавшие контейнеры, заменяет их и
  завершает контейнеры, которые не проходят вашу проверку работоспособности.

## {{{{% heading "whatsnext" %}}}}

* Ознакомьтесь с [компонентами Kubernetes](/ru/docs/concepts/overview/components/)
* Готовы [начать работу](/ru/docs/setup/)?
"""

RU_NODES = """---
title: Узлы
content_type: concept
weight: 10
---

<!-- overview -->

Kubernetes запускает рабочую нагрузку, помещая контейнеры в поды, которые работают на
_узлах_. Узел может быть виртуальной или физической машиной, в зависимости от кластера.

## Управление

Есть два основных способа добавить узлы в API-сервер:

1. kubelet на узле сам регистрируется в управляющем слое
2. Вы (или другой пользователь) вручную добавляете объект Node

{{< note >}}
Kubernetes сохраняет объект для невалидного узла и продолжает проверять, не стал ли он
работоспособным.
{{< /note >}}
"""

RU_PODS = """---
title: Поды
content_type: concept
weight: 10
no_list: true
---

<!-- overview -->

_Поды_ — это самые маленькие развёртываемые вычислительные единицы, которые можно создавать и
которыми можно управлять в Kubernetes.

_Под_ — это группа из одного или нескольких
{{< glossary_tooltip text="контейнеров" term_id="container" >}} с общими хранилищами и
сетевыми ресурсами, а также спецификация того, как запускать контейнеры. Подробнее — в разделе
[Жизненный цикл пода](/ru/docs/concepts/workloads/pods/pod-lifecycle/).

{{< note >}}
Вам нужно установить
[среду выполнения контейнеров](/ru/docs/setup/production-environment/container-runtimes/) на
каждый узел кластера, чтобы на нём могли работать поды.
{{< /note >}}

{{< figure src="pod-lifecycle.svg" alt="Под проходит свои фазы"
    caption="Рисунок 1. Фазы пода" class="diagram-medium" >}}

<!-- body -->

## Использование подов

| Фаза | Что это значит |
|------|----------------|
| `Pending` | Кластер принял под, но его контейнеры ещё не готовы. |
| `Running` | Под привязан к узлу, и все его контейнеры созданы. |

Ниже приведён пример пода, состоящего из одного контейнера с образом `nginx:1.14.2`.

```yaml
apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
  - name: nginx
    image: nginx:1.14.2
    ports:
    - containerPort: 80
```

Чтобы создать под, показанный выше, выполните команду:

```shell
kubectl apply -f https://k8s.io/examples/pods/simple-pod.yaml
```
"""

RU_DOCKERSHIM = """---
title: Часто задаваемые вопросы об удалении dockershim
content_type: concept
weight: 70
---

Kubernetes удалил компонент dockershim в версии 1.24. Пользователям Docker Engine нужна среда
выполнения контейнеров, которая реализует интерфейс Container Runtime Interface.
"""

RU_CONFIGURE = """---
title: Назначение ресурсов памяти контейнерам и подам
content_type: task
weight: 10
---

<!-- overview -->

На этой странице показано, как назначить контейнеру *запрос* памяти и *лимит* памяти.

## Задание запроса и лимита памяти

Чтобы задать запрос памяти для контейнера, добавьте поле `resources:requests` в манифест
ресурсов контейнера. Чтобы задать лимит памяти, добавьте `resources:limits`.

```shell
kubectl apply -f https://k8s.io/examples/pods/resource/memory-request-limit.yaml \\
  --namespace=mem-example
```
"""

RU_TUTORIALS = """---
title: Руководства
main_menu: true
no_list: true
weight: 60
content_type: concept
---

<!-- overview -->

Этот раздел документации Kubernetes содержит руководства. Руководство показывает, как достичь
цели, которая больше, чем одна [задача](/ru/docs/tasks/).

## Основы

* [Основы Kubernetes](/ru/docs/tutorials/kubernetes-basics/) — подробное интерактивное
  руководство.
* [Привет, Minikube](/ru/docs/tutorials/hello-minikube/)
"""

# A stub: the site keeps the page so the Russian menu is complete; the text is English.
RU_MINIKUBE_STUB = """---
title: Hello Minikube
untranslated: 1
content_type: tutorial
weight: 5
---

<!-- overview -->

This tutorial shows you how to run a sample app on Kubernetes using minikube. The tutorial
provides a container image that uses NGINX to echo back all the requests.
"""

RU_MINIKUBE = """---
title: Привет, Minikube
---

<!-- overview -->

В этом руководстве показано, как запустить пример приложения в Kubernetes с помощью minikube.
Руководство предоставляет образ контейнера, который с помощью NGINX возвращает все запросы.

## {{% heading "objectives" %}}

* Разверните пример приложения в minikube.
* Запустите приложение.
* Посмотрите логи приложения.

## Создание кластера minikube

```shell
minikube start
```
"""

RU_DOCS = """---
# Главная страница документации: карточки ниже — плитки лендинга.
# Порядок ключей задаёт команда локализации.
title: Документация Kubernetes
linkTitle: Документация
description: >-
  Kubernetes — это движок оркестрации контейнеров с открытым исходным кодом для автоматизации
  развёртывания, масштабирования и управления контейнеризированными приложениями.
weight: 5  # ru: раздел идёт первым
no_list: true
content_type: concept
cards:
- name: concepts
  title: "Разберитесь в Kubernetes"
  description: "Узнайте о Kubernetes и его фундаментальных концепциях."
  button: "Посмотреть концепции"
  button_path: "/ru/docs/concepts"
- name: tutorials
  title: "Попробуйте Kubernetes"
  description: "Следуйте руководствам, чтобы научиться развёртывать приложения в Kubernetes."
  button: "Посмотреть руководства"
  button_path: "/ru/docs/tutorials"
---

<!-- overview -->

Kubernetes — это движок оркестрации контейнеров с открытым исходным кодом для автоматизации
развёртывания, масштабирования и управления контейнеризированными приложениями. Проект
размещается в Cloud Native Computing Foundation ([CNCF](https://www.cncf.io/about)).
"""

RU_CONCEPTS = """+++
title = "Концепции"
main_menu = true
content_type = "concept"
weight = 40
description = "Раздел «Концепции» поможет вам узнать о частях системы Kubernetes."
+++

<!-- overview -->

Раздел «Концепции» поможет вам узнать о частях системы Kubernetes и об абстракциях, которые
Kubernetes использует для представления вашего кластера.
"""

RU_COMMUNITY = """---
title: Сообщество
description: Сообщество Kubernetes состоит из людей со всего мира.
layout: basic
cid: community
menu:
  main:
    weight: 50
---

<div class="newcommunitywrapper">

<div class="intro">
<p>Сообщество Kubernetes &mdash; пользователи, контрибьюторы и культура, которую мы создали
вместе, &mdash; одна из главных причин стремительного взлёта этого открытого проекта.</p>
</div>

<h2 id="values">Ценности сообщества</h2>
<p>Ценности сообщества Kubernetes — краеугольный камень успеха проекта.</p>
<ul>
  <li>Распределённость лучше централизации</li>
  <li>Сообщество важнее продукта или компании</li>
  <li>Автоматизация важнее процесса</li>
</ul>

</div>
"""

RU_BLOG = """+++
title = "Kubernetes 1.29: сайдкар-контейнеры переходят в бету"
date = 2024-03-12
# Перевод: Дмитрий Шурупов; вычитка — команда локализации.
author = "Gunju Kim (NAVER), Todd Neal (AWS)"
slug = "sidecar-containers-beta"
summary = "Функциональный флаг SidecarContainers перешёл в бету и включён по умолчанию."
description = "Сайдкар-контейнеры теперь включены по умолчанию в Kubernetes 1.29."
tags = ["release", "sidecar"]

[params]
featured = true
+++

В Kubernetes 1.29 поддержка сайдкар-контейнеров переходит в бету и включена по умолчанию.

| Релиз | Стадия | Флаг по умолчанию |
|-------|--------|-------------------|
| 1.28 | альфа | выключен |
| 1.29 | бета | включён |

Подробнее читайте в статье
[Сайдкар-контейнеры](/ru/docs/concepts/workloads/pods/sidecar-containers/).
"""

RU_INCLUDES_INDEX = "---\nheadless: true\n---\n"
RU_README = "# Локализация на русский язык\n\nКоманда: @ru-localization.\n"

# -- Turkish ----------------------------------------------------------------------------------

TR_OVERVIEW = """---
title: Genel Bakış
description: >
  Kubernetes, container iş yüklerini ve servisleri yönetmek için taşınabilir, genişletilebilir,
  açık kaynaklı bir platformdur.
content_type: concept
weight: 20
---

<!-- overview -->

Bu sayfa Kubernetes'e genel bir bakış sunar.

<!-- body -->

Kubernetes adı Yunanca dümenci ya da pilot anlamına gelir. K8s kısaltması "K" ile "s" arasındaki
sekiz harfin sayılmasından gelir. Google, Kubernetes projesini 2014 yılında açık kaynak yaptı.
Kubernetes, Google'ın üretim iş yüklerini ölçekte çalıştırmadaki 15 yılı aşkın deneyimini
topluluğun en iyi fikir ve uygulamalarıyla birleştirir.

## Geçmişe dönüş {#going-back-in-time}

**Geleneksel dağıtım dönemi:** Başlangıçta kurumlar uygulamaları fiziksel sunucularda
çalıştırıyordu. Fiziksel bir sunucuda uygulamalar için kaynak sınırları tanımlamanın bir yolu
yoktu ve bu durum kaynak dağıtımı sorunlarına yol açıyordu.

**Container dağıtım dönemi:** Container'lar sanal makinelere benzer, ancak işletim sistemini
(OS) uygulamalar arasında paylaşmak için daha gevşek bir yalıtıma sahiptir.

## Neden Kubernetes ve neler yapabilir {#why-you-need-kubernetes-and-what-can-it-do}

Container'lar uygulamalarınızı paketlemenin ve çalıştırmanın iyi bir yoludur. Üretim
ortamında uygulamaları çalıştıran container'ları yönetmeniz ve kesinti olmamasını sağlamanız
gerekir.

İşte Kubernetes burada imdada yetişir! Kubernetes size dağıtık sistemleri dayanıklı biçimde
çalıştırmak için bir çerçeve sunar. Uygulamanızın ölçeklenmesini ve yedeğe geçişini üstlenir,
dağıtım kalıpları sağlar ve daha fazlasını yapar.

Kubernetes size şunları sağlar:

* **Servis keşfi ve yük dengeleme** Kubernetes bir container'ı DNS adıyla ya da kendi IP
  adresiyle erişime açabilir.
* **Depolama orkestrasyonu** Kubernetes, seçtiğiniz bir depolama sistemini otomatik olarak
  bağlamanıza olanak tanır.
* **Kendi kendini iyileştirme** Kubernetes başarısız olan container'ları yeniden başlatır.

## {{% heading "whatsnext" %}}

* [Kubernetes Bileşenlerine](/tr/docs/concepts/overview/components/) göz atın
* [Başlamaya](/tr/docs/setup/) hazır mısınız?
"""

TR_PODS = """---
title: Pod'lar
content_type: concept
weight: 10
---

<!-- overview -->

_Pod'lar_, Kubernetes'te oluşturup yönetebileceğiniz en küçük dağıtılabilir hesaplama
birimleridir.

Bir _Pod_, ortak depolama ve ağ kaynaklarına sahip bir ya da daha fazla
{{< glossary_tooltip text="container" term_id="container" >}} ile bunların nasıl
çalıştırılacağını anlatan bir tanımdan oluşur. Ayrıntılar için
[Pod yaşam döngüsü](/tr/docs/concepts/workloads/pods/pod-lifecycle/) sayfasına bakın.

{{< note >}}
Pod'ların çalışabilmesi için kümedeki her düğüme bir
[container çalışma ortamı](/tr/docs/setup/production-environment/container-runtimes/)
kurmanız gerekir.
{{< /note >}}

{{< figure src="pod-lifecycle.svg" alt="Aşamalarından geçen bir Pod"
    caption="Şekil 1. Bir Pod'un aşamaları" class="diagram-medium" >}}

<!-- body -->

## Pod'ları kullanmak

| Aşama | Anlamı |
|-------|--------|
| `Pending` | Pod küme tarafından kabul edildi, ancak container'ları henüz hazır değil. |
| `Running` | Pod bir düğüme bağlandı ve tüm container'ları oluşturuldu. |

Aşağıda `nginx:1.14.2` imajını çalıştıran tek bir container'dan oluşan bir Pod örneği var.

```yaml
apiVersion: v1
kind: Pod
metadata:
  name: nginx
spec:
  containers:
  - name: nginx
    image: nginx:1.14.2
    ports:
    - containerPort: 80
```

Yukarıdaki Pod'u oluşturmak için şu komutu çalıştırın:

```shell
kubectl apply -f https://k8s.io/examples/pods/simple-pod.yaml
```
"""

TR_DEBUG = """---
title: Pod'larda hata ayıklama
content_type: task
weight: 10
---

Bir Pod'da hata ayıklamanın ilk adımı ona bir göz atmaktır.

Bir Pod'daki container'ın günlüklerini okumak için `kubectl logs`, çöken önceki container için
`kubectl logs --previous` komutunu kullanın.
"""

TR_DOCS = """---
title: Kubernetes Belgeleri
linkTitle: Belgeler
no_list: true
content_type: concept
description: >-
  Kubernetes, container'a alınmış uygulamaların dağıtımını, ölçeklenmesini ve yönetimini
  otomatikleştiren açık kaynaklı bir container orkestrasyon motorudur.
cards:
- name: concepts
  title: "Kubernetes'i anlayın"
  description: "Kubernetes ve temel kavramları hakkında bilgi edinin."
  button: "Kavramları Görüntüle"
  button_path: "/tr/docs/concepts"
- name: tutorials
  title: "Kubernetes'i deneyin"
  description: "Kubernetes'te uygulama dağıtmayı öğrenmek için eğitimleri takip edin."
  button: "Eğitimleri Görüntüle"
  button_path: "/tr/docs/tutorials"
---

<!-- overview -->

Kubernetes, container'a alınmış uygulamaların dağıtımını, ölçeklenmesini ve yönetimini
otomatikleştiren açık kaynaklı bir container orkestrasyon motorudur. Açık kaynak proje Cloud
Native Computing Foundation ([CNCF](https://www.cncf.io/about)) tarafından barındırılır.
"""

TR_CONCEPTS = """+++
title = "Kavramlar"
main_menu = true
content_type = "concept"
weight = 40
description = "Kavramlar bölümü, Kubernetes sisteminin parçalarını öğrenmenize yardımcı olur."
source_hash = "{source_hash}"
+++

<!-- overview -->

Kavramlar bölümü, Kubernetes sisteminin parçalarını ve Kubernetes'in kümenizi temsil etmek için
kullandığı soyutlamaları öğrenmenize yardımcı olur.
"""

# A stub with no title and an empty body: the Turkish menu keeps its weight.
TR_TUTORIALS_STUB = "---\nweight: 60\n---\n"

TR_TUTORIALS = """---
title: Eğitimler
---

<!-- overview -->

Kubernetes belgelerinin bu bölümü eğitimler içerir. Bir eğitim, tek bir
[görevden](/tr/docs/tasks/) daha büyük bir hedefe nasıl ulaşılacağını gösterir.

## Temeller

* [Kubernetes Temelleri](/tr/docs/tutorials/kubernetes-basics/) ayrıntılı, etkileşimli bir
  eğitimdir.
* [Merhaba Minikube](/tr/docs/tutorials/hello-minikube/)
"""

TR_README = "# Türkçe yerelleştirme\n\nEkip: @tr-localization.\n"

# -- the rest of the site ---------------------------------------------------------------------

HUGO_TOML = """baseURL = "https://kubernetes.example/"
title = "Kubernetes"
defaultContentLanguage = "en"
defaultContentLanguageInSubdir = false
contentDir = "content/en"

[languages.en]
languageName = "English"
weight = 1

[languages.ru]
languageName = "Русский"
contentDir = "content/ru"
weight = 6

[languages.tr]
languageName = "Türkçe"
contentDir = "content/tr"
weight = 9

[languages.de]
languageName = "Deutsch"
contentDir = "content/de"
weight = 2

[languages.zh-cn]
languageName = "中文 (Chinese)"
contentDir = "content/zh-cn"
weight = 3
"""

GITIGNORE = "/public/\n/resources/\n.hugo_build.lock\n"
OWNERS = (
    "# See the OWNERS docs at https://go.k8s.io/owners\n\napprovers:\n- sig-docs-{lang}-owners\n"
)
SIMPLE_POD_YAML = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: nginx\nspec:\n  containers:\n"
    "  - name: nginx\n    image: nginx:1.14.2\n"
)
MEMORY_YAML = (
    "apiVersion: v1\nkind: Pod\nmetadata:\n  name: memory-demo\n  namespace: "
    "mem-example\nspec:\n  containers:\n  - name: memory-demo-ctr\n    image: "
    'polinux/stress\n    resources:\n      limits:\n        memory: "200Mi"\n'
)
LIFECYCLE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="120" height="40">'
    '<text x="4" y="24">Pending → Running</text></svg>\n'
)
NGINX_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06"
    b"\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00"
    b"\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)
DE_OVERVIEW = "---\ntitle: Überblick\n---\n\nDiese Seite bietet einen Überblick über Kubernetes.\n"
DE_INDEX = "---\ntitle: Kubernetes\n---\n\n<p>Produktionsreife Container-Orchestrierung.</p>\n"
ZH_DOCS = "---\ntitle: Kubernetes 文档\n---\n\nKubernetes 是一个开源的容器编排引擎。\n"
ZH_OVERVIEW = "---\ntitle: 概述\n---\n\n此页面是 Kubernetes 的概述。\n"
SWAP = b"b0VIM 9.0\x00\x00\x00\x00\x10\x00\x00"

#: Files skipped by reason on a scan with TRANSYNC_IGNORE=IGNORE (worked out by hand).
SKIPPED = {
    # OWNERS in ru, tr, de; two example manifests; an SVG and a PNG beside the pods bundle
    "not_content": 7,
    # the reference/generated/ folder (counted once), ru/README.md, tr/README.md
    "ignored": 3,
    # de/_index.html, de/docs/concepts/overview.md, zh-cn/docs/_index.md,
    # zh-cn/docs/concepts/overview.md, en/docs/concepts/overview.de.md
    "unconfigured_language": 5,
    # the headless bundles: en/includes (index.md and its two resource pages), ru/includes
    # (index.md alone)
    "headless": 4,
    # en/docs/tasks/.debug.md.swp
    "hidden": 1,
    # a WordPress export's (a content tree has none)
    "untracked_type": 0,
    "trashed": 0,
}


@dataclass
class HugoSite:
    """The site's repository, its content tree, and the commits and times of its history by
    name: sources, translations, ru-nodes, edits, more-edits, tr-overview, rename, merge."""

    repo: GitRepo
    root: Path
    commits: dict[str, str] = field(default_factory=dict)
    times: dict[str, datetime] = field(default_factory=dict)

    def copy(self, dest: Path) -> HugoSite:
        """A copy of the whole repository (history, branches, the uncommitted files)."""
        shutil.copytree(self.repo.path, dest, symlinks=True)
        return HugoSite(
            repo=GitRepo(dest),
            root=dest / "content",
            commits=dict(self.commits),
            times=dict(self.times),
        )

    def tree_without_git(self, dest: Path) -> Path:
        """The content tree as it is on disk, copied where no repository is: no history."""
        shutil.copytree(self.root, dest, symlinks=True)
        return dest

    def path(self, key: str, lang: str) -> Path:
        return self.root / origin(key, lang)


def source_hash_of(root: Path, rel: str) -> str:
    """The 16 hex digits `status --json` reports as a source's `source_hash`, computed the way a
    scan with FIELDS reads the file (a translator's tool would have copied it from there)."""
    from sync.config import Settings
    from sync.sources.fs import ContentTree

    tree = ContentTree(
        root, languages=LANGS, default_lang="en", settings=Settings(front_matter_fields=FIELDS)
    )
    doc = tree.parse(rel, (root / rel).read_bytes(), "", True, analyze=True)
    return doc.analysis.content_hash[:16]  # type: ignore[union-attr]


def build_hugo_site(folder: Path) -> HugoSite:
    """Build the site's repository in `folder` (see the module docstring for its history)."""
    repo = GitRepo.init(folder)
    site = HugoSite(repo=repo, root=folder / "content")

    def write(rel: str, text: str | bytes) -> None:
        target = site.root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            target.write_bytes(text)
        else:
            target.write_text(text, encoding="utf-8")

    def commit(name: str, message: str, day: int) -> None:
        site.commits[name] = repo.commit(message, when=day)
        site.times[name] = moment(day)

    # day 0: the English site
    repo.write("hugo.toml", HUGO_TOML)
    repo.write(".gitignore", GITIGNORE)
    for key, text in (
        (OVERVIEW, EN_OVERVIEW_V1),
        (NODES, EN_NODES_V1),
        (PODS, EN_PODS),
        (DOCKERSHIM, EN_DOCKERSHIM),
        (CONFIGURE, EN_CONFIGURE_V1),
        (DEBUG, EN_DEBUG_V1),
        (OPENAPI, EN_OPENAPI),
        (TUTORIALS, EN_TUTORIALS),
        (MINIKUBE, EN_MINIKUBE),
        (DOCS, EN_DOCS),
        (CONCEPTS, EN_CONCEPTS),
        (COMMUNITY, EN_COMMUNITY),
        (BLOG, EN_BLOG),
    ):
        write(origin(key, "en"), text)
    write("en/docs/concepts/workloads/pods/pod-lifecycle.svg", LIFECYCLE_SVG)
    write("en/docs/concepts/workloads/pods/nginx-pod.png", NGINX_PNG)
    write("en/includes/index.md", EN_INCLUDES_INDEX)
    write("en/includes/task-tutorial-prereqs.md", EN_PREREQS)
    write("en/includes/default-storage-class-prereqs.md", EN_STORAGE_PREREQS)
    write("en/docs/reference/generated/kubectl.md", EN_KUBECTL_GENERATED)
    write("en/docs/reference/generated/kubelet.md", EN_KUBELET_GENERATED)
    write("en/examples/pods/simple-pod.yaml", SIMPLE_POD_YAML)
    write("en/examples/pods/resource/memory-request-limit.yaml", MEMORY_YAML)
    write("en/docs/concepts/overview.de.md", EN_OVERVIEW_DE)
    write("de/_index.html", DE_INDEX)
    write("de/docs/concepts/overview.md", DE_OVERVIEW)
    write("de/OWNERS", OWNERS.format(lang="de"))
    write("zh-cn/docs/_index.md", ZH_DOCS)
    write("zh-cn/docs/concepts/overview.md", ZH_OVERVIEW)
    commit("sources", "Import the English documentation", 0)

    # day 2: the translations of the day
    for key, text in (
        (OVERVIEW, RU_OVERVIEW),
        (DOCKERSHIM, RU_DOCKERSHIM),
        (TUTORIALS, RU_TUTORIALS),
        (MINIKUBE, RU_MINIKUBE_STUB),
        (DOCS, RU_DOCS),
        (CONCEPTS, RU_CONCEPTS),
        (COMMUNITY, RU_COMMUNITY),
        (BLOG, RU_BLOG),
    ):
        write(origin(key, "ru"), text)
    # the Russian configure-pod starts under its old name; it is renamed into place on day 8
    write("ru/docs/tasks/configure-pod-container.md", RU_CONFIGURE)
    write("ru/includes/index.md", RU_INCLUDES_INDEX)
    write("ru/README.md", RU_README)
    write("ru/OWNERS", OWNERS.format(lang="ru"))
    for key, text in ((PODS, TR_PODS), (DOCS, TR_DOCS), (TUTORIALS, TR_TUTORIALS_STUB)):
        write(origin(key, "tr"), text)
    concepts_hash = source_hash_of(site.root, origin(CONCEPTS, "en"))
    write(origin(CONCEPTS, "tr"), TR_CONCEPTS.format(source_hash=concepts_hash))
    write("tr/README.md", TR_README)
    write("tr/OWNERS", OWNERS.format(lang="tr"))
    commit("translations", "Localize the docs home, concepts, tutorials and the blog (ru, tr)", 2)

    # day 3: the Russian nodes page, on a long-lived branch made from the day-0 sources
    repo.branch("ru-nodes", site.commits["sources"])
    write(origin(NODES, "ru"), RU_NODES)
    commit("ru-nodes", "[ru] Translate the nodes page", 3)
    repo.checkout("main")

    # day 5: English edits
    write(origin(OVERVIEW, "en"), EN_OVERVIEW_V2)
    write(origin(CONFIGURE, "en"), EN_CONFIGURE_V2)
    commit("edits", "Overview: history of the name; configure-pod: what a limit guarantees", 5)

    # day 6: more English edits, and the dockershim page is retired
    write(origin(NODES, "en"), EN_NODES_V2)
    write(origin(DEBUG, "en"), EN_DEBUG_V2)
    (site.root / origin(DOCKERSHIM, "en")).unlink()
    commit("more-edits", "Nodes: link the API server; debug: previous logs; remove dockershim", 6)

    # day 7: the Turkish overview, from the day-5 source
    write(origin(OVERVIEW, "tr"), TR_OVERVIEW)
    commit("tr-overview", "[tr] Translate the overview", 7)

    # day 8: the Russian configure-pod gets its English name
    repo.move(
        "content/ru/docs/tasks/configure-pod-container.md", f"content/{origin(CONFIGURE, 'ru')}"
    )
    commit("rename", "[ru] Rename configure-pod-container to match the English path", 8)

    # day 10: the long-lived branch is merged
    site.commits["merge"] = repo.merge(
        "ru-nodes", when=10, message="Merge branch 'ru-nodes' (Russian nodes page)"
    )
    site.times["merge"] = moment(10)

    # not committed: the Turkish debug page (from the day-6 source) and an editor's swap file
    write(origin(DEBUG, "tr"), TR_DEBUG)
    write("en/docs/tasks/.debug.md.swp", SWAP)
    return site
