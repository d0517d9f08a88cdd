/**
 * Dapr Components as the cluster plan has them (services/kit/src/deployment/components.ts),
 * each scoped to exactly the apps whose topology entry lists it. A component no app uses
 * is not created at all: Dapr reads an empty `scopes` as "every app".
 */
import type { ServiceSpec } from '@meshmart/kit/topology';
import type { Construct } from 'constructs';
import { Component } from '../../imports/dapr.io.ts';
import { clusterPlan } from '../cluster-plan.ts';

export function daprComponents(scope: Construct, services: readonly ServiceSpec[]): void {
  for (const { name, type, metadata, scopes } of clusterPlan(services).components) {
    new Component(scope, `component-${name}`, { metadata: { name }, spec: { type, version: 'v1', metadata }, scopes });
  }
}
