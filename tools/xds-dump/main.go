// Command xds-dump asks istiod for the Envoy configuration it computes for one proxy and
// prints it as one JSON document: {"node", "listeners", "clusters", "routes"}, each
// resource as protojson renders it (field names as in Envoy's config_dump).
//
// It speaks xDS the way a sidecar's Envoy does on istiod's plain-text port (15010 in a
// cluster): one ADS stream, CDS and LDS first, then RDS for every route configuration the
// listeners' HTTP connection managers name. It never runs Envoy, so the cluster tests can
// read what istiod would send a workload without a kubelet or a proxy image.
//
//	xds-dump -xds 127.0.0.1:15010 -type sidecar -ip 192.0.2.10 \
//	  -pod orders-5d8f-abcde -namespace meshmart -metadata '{"LABELS":{"app":"orders"},...}'
//
// The node id is `<type>~<ip>~<pod>.<namespace>~<namespace>.svc.cluster.local`, as
// istio-agent builds it; istiod finds the pod by that name. The metadata is sent as
// given (what istio-agent sends as ISTIO_META_*), with NAMESPACE, INSTANCE_IPS and
// ISTIO_VERSION filled in when missing.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"slices"
	"time"

	cluster "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	core "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listener "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	route "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	hcm "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	discovery "github.com/envoyproxy/go-control-plane/envoy/service/discovery/v3"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"

	// Register every type istiod may put in an Any (Envoy's extensions, Istio's own and
	// the TypedStruct wrappers), so protojson can render typed_config fields (RBAC, TLS,
	// peer metadata...) instead of failing.
	_ "github.com/cncf/xds/go/udpa/type/v1"
	_ "github.com/cncf/xds/go/xds/type/v3"
	_ "istio.io/istio/pkg/config/xds"
	"istio.io/istio/pkg/version"
)

const (
	typePrefix   = "type.googleapis.com/envoy."
	clusterType  = typePrefix + "config.cluster.v3.Cluster"
	listenerType = typePrefix + "config.listener.v3.Listener"
	routeType    = typePrefix + "config.route.v3.RouteConfiguration"
)

func main() {
	addr := flag.String("xds", "", "istiod's plain-text xDS address, host:port")
	nodeType := flag.String("type", "sidecar", "proxy type: sidecar or router (a gateway)")
	ip := flag.String("ip", "", "the proxy's IP address (the pod IP)")
	pod := flag.String("pod", "", "the pod's name")
	namespace := flag.String("namespace", "", "the pod's namespace")
	metadata := flag.String("metadata", "{}", "node metadata as a JSON object")
	timeout := flag.Duration("timeout", 30*time.Second, "how long to wait for istiod's answers")
	flag.Parse()
	if *addr == "" || *ip == "" || *pod == "" || *namespace == "" {
		fmt.Fprintln(os.Stderr, "usage: xds-dump -xds host:port -ip IP -pod NAME -namespace NS [-type sidecar|router] [-metadata JSON]")
		os.Exit(2)
	}
	node, err := buildNode(*nodeType, *ip, *pod, *namespace, *metadata)
	if err != nil {
		fail(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	out, err := dump(ctx, *addr, node)
	if err != nil {
		fail(err)
	}
	if _, err := os.Stdout.Write(out); err != nil {
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "xds-dump:", err)
	os.Exit(1)
}

func buildNode(nodeType, ip, pod, namespace, metadataJSON string) (*core.Node, error) {
	if nodeType != "sidecar" && nodeType != "router" {
		return nil, fmt.Errorf("unknown proxy type %q", nodeType)
	}
	var meta map[string]any
	if err := json.Unmarshal([]byte(metadataJSON), &meta); err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	defaults := map[string]any{"NAMESPACE": namespace, "INSTANCE_IPS": ip, "ISTIO_VERSION": version.Info.Version}
	for k, v := range defaults {
		if _, ok := meta[k]; !ok {
			meta[k] = v
		}
	}
	st, err := structpb.NewStruct(meta)
	if err != nil {
		return nil, fmt.Errorf("metadata: %w", err)
	}
	return &core.Node{
		Id:       fmt.Sprintf("%s~%s~%s.%s~%s.svc.cluster.local", nodeType, ip, pod, namespace, namespace),
		Metadata: st,
	}, nil
}

// dump runs one ADS exchange: CDS and LDS, then RDS for the names the listeners use.
// istiod answers each request once and pushes again only on config changes, which a
// later response of the same type simply replaces.
func dump(ctx context.Context, addr string, node *core.Node) ([]byte, error) {
	conn, err := grpc.NewClient(addr,
		grpc.WithTransportCredentials(insecure.NewCredentials()),
		grpc.WithDefaultCallOptions(grpc.MaxCallRecvMsgSize(256<<20)))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	stream, err := discovery.NewAggregatedDiscoveryServiceClient(conn).StreamAggregatedResources(ctx)
	if err != nil {
		return nil, err
	}
	send := func(typeURL string, names []string, ack *discovery.DiscoveryResponse) error {
		req := &discovery.DiscoveryRequest{Node: node, TypeUrl: typeURL, ResourceNames: names}
		if ack != nil {
			req.VersionInfo, req.ResponseNonce = ack.VersionInfo, ack.Nonce
		}
		return stream.Send(req)
	}
	if err := send(clusterType, nil, nil); err != nil {
		return nil, err
	}
	if err := send(listenerType, nil, nil); err != nil {
		return nil, err
	}

	got := map[string]*discovery.DiscoveryResponse{}
	var routeNames []string
	for {
		if got[clusterType] != nil && got[listenerType] != nil && got[routeType] != nil {
			break
		}
		resp, err := stream.Recv()
		if err != nil {
			return nil, fmt.Errorf("waiting for %v: %w", missing(got), err)
		}
		got[resp.TypeUrl] = resp
		names := routeNames
		if resp.TypeUrl == listenerType {
			if names, err = rdsNames(resp.Resources); err != nil {
				return nil, err
			}
		}
		if err := send(resp.TypeUrl, resourceNamesFor(resp.TypeUrl, names), resp); err != nil {
			return nil, err
		}
		if resp.TypeUrl == listenerType && !slices.Equal(names, routeNames) {
			routeNames = names
			previous := got[routeType]
			delete(got, routeType)
			if len(names) == 0 {
				got[routeType] = &discovery.DiscoveryResponse{}
			} else if err := send(routeType, names, previous); err != nil {
				return nil, err
			}
		}
	}

	doc := map[string]any{"node": node.Id}
	for key, typeURL := range map[string]string{"clusters": clusterType, "listeners": listenerType, "routes": routeType} {
		var items []json.RawMessage
		for _, res := range got[typeURL].Resources {
			raw, err := render(res)
			if err != nil {
				return nil, err
			}
			items = append(items, raw)
		}
		doc[key] = items
	}
	return json.Marshal(doc)
}

func resourceNamesFor(typeURL string, routeNames []string) []string {
	if typeURL == routeType {
		return routeNames
	}
	return nil
}

func missing(got map[string]*discovery.DiscoveryResponse) []string {
	var out []string
	for _, t := range []string{clusterType, listenerType, routeType} {
		if got[t] == nil {
			out = append(out, t)
		}
	}
	return out
}

// rdsNames lists, sorted and unique, the route configurations the HTTP connection
// managers of these listeners load over RDS.
func rdsNames(resources []*anypb.Any) ([]string, error) {
	var names []string
	for _, res := range resources {
		l := &listener.Listener{}
		if err := res.UnmarshalTo(l); err != nil {
			return nil, err
		}
		chains := l.FilterChains
		if l.DefaultFilterChain != nil {
			chains = append(chains, l.DefaultFilterChain)
		}
		for _, fc := range chains {
			for _, f := range fc.Filters {
				m := &hcm.HttpConnectionManager{}
				if f.GetTypedConfig() == nil || !f.GetTypedConfig().MessageIs(m) {
					continue
				}
				if err := f.GetTypedConfig().UnmarshalTo(m); err != nil {
					return nil, err
				}
				if name := m.GetRds().GetRouteConfigName(); name != "" {
					names = append(names, name)
				}
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

func render(res *anypb.Any) (json.RawMessage, error) {
	var msg proto.Message
	switch res.TypeUrl {
	case clusterType:
		msg = &cluster.Cluster{}
	case listenerType:
		msg = &listener.Listener{}
	case routeType:
		msg = &route.RouteConfiguration{}
	default:
		return nil, errors.New("unexpected resource type " + res.TypeUrl)
	}
	if err := res.UnmarshalTo(msg); err != nil {
		return nil, err
	}
	return protojson.MarshalOptions{UseProtoNames: true}.Marshal(msg)
}
