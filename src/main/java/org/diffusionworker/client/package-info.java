/**
 * The worker's client side, through Kafka: the plain producer and read-committed consumer a service that sends
 * requests uses, and the command line's durations. Used by the {@code submit} command and the load generator; imports
 * nothing of the worker's inside.
 */
package org.diffusionworker.client;
