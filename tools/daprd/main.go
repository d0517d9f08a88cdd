// Command daprd is the Dapr sidecar runtime built with only the components meshmart
// uses, so the local stack needs no Dapr CLI and the build stays small.
package main

import (
	"github.com/dapr/components-contrib/bindings/localstorage"
	"github.com/dapr/components-contrib/bindings/smtp"
	configredis "github.com/dapr/components-contrib/configuration/redis"
	"github.com/dapr/components-contrib/nameresolution/sqlite"
	pubsubrabbitmq "github.com/dapr/components-contrib/pubsub/rabbitmq"
	pubsubredis "github.com/dapr/components-contrib/pubsub/redis"
	secretk8s "github.com/dapr/components-contrib/secretstores/kubernetes"
	secretenv "github.com/dapr/components-contrib/secretstores/local/env"
	secretfile "github.com/dapr/components-contrib/secretstores/local/file"
	pgv1 "github.com/dapr/components-contrib/state/postgresql/v1"
	pgv2 "github.com/dapr/components-contrib/state/postgresql/v2"
	stateredis "github.com/dapr/components-contrib/state/redis"

	"github.com/dapr/dapr/cmd/daprd/app"
	"github.com/dapr/dapr/pkg/components"
	bindingsLoader "github.com/dapr/dapr/pkg/components/bindings"
	configurationLoader "github.com/dapr/dapr/pkg/components/configuration"
	nrLoader "github.com/dapr/dapr/pkg/components/nameresolution"
	pubsubLoader "github.com/dapr/dapr/pkg/components/pubsub"
	secretstoresLoader "github.com/dapr/dapr/pkg/components/secretstores"
	stateLoader "github.com/dapr/dapr/pkg/components/state"
)

func init() {
	stateLoader.DefaultRegistry.RegisterComponent(stateredis.NewRedisStateStore, "redis")
	stateLoader.DefaultRegistry.RegisterComponentWithVersions("postgresql", components.Versioning{
		Preferred: components.VersionConstructor{Version: "v2", Constructor: pgv2.NewPostgreSQLStateStore},
		Others:    []components.VersionConstructor{{Version: "v1", Constructor: pgv1.NewPostgreSQLStateStore}},
		Default:   "v1",
	})

	pubsubLoader.DefaultRegistry.RegisterComponent(pubsubrabbitmq.NewRabbitMQ, "rabbitmq")
	pubsubLoader.DefaultRegistry.RegisterComponent(pubsubredis.NewRedisStreams, "redis")

	// sqlite resolves app ids on loopback without multicast, which mDNS needs.
	nrLoader.DefaultRegistry.RegisterComponent(sqlite.NewResolver, "sqlite")

	bindingsLoader.DefaultRegistry.RegisterOutputBinding(smtp.NewSMTP, "smtp")
	bindingsLoader.DefaultRegistry.RegisterOutputBinding(localstorage.NewLocalStorage, "localstorage")

	secretstoresLoader.DefaultRegistry.RegisterComponent(secretenv.NewEnvSecretStore, "local.env")
	secretstoresLoader.DefaultRegistry.RegisterComponent(secretfile.NewLocalSecretStore, "local.file")
	secretstoresLoader.DefaultRegistry.RegisterComponent(secretk8s.NewKubernetesSecretStore, "kubernetes")

	configurationLoader.DefaultRegistry.RegisterComponent(configredis.NewRedisConfigurationStore, "redis")
}

func main() {
	app.Run()
}
