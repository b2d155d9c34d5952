/**
 * Kafka's SASL mechanisms as pure logic: the server side of PLAIN, SCRAM-SHA-256/512 and
 * OAUTHBEARER exchanges, the validators behind OAUTHBEARER, a parser for the JAAS text that
 * Kafka configures them with, and the client side a broker authenticates to other brokers with
 * ({@link dev.sluice.broker.security.sasl.SaslClientExchange}).
 *
 * <p>Nothing here touches the network or Kafka's classes: the connection layer hands each client
 * token to a {@link dev.sluice.broker.security.sasl.SaslExchange} and sends back what it returns.
 * Every failure caused by client bytes is a
 * {@link dev.sluice.broker.security.sasl.SaslAuthenticationException} whose message may go to the
 * client as it is.
 */
package dev.sluice.broker.security.sasl;
