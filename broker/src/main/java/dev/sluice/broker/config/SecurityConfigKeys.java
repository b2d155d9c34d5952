package dev.sluice.broker.config;

import static dev.sluice.broker.config.ConfigDef.Check.NONE;
import static dev.sluice.broker.config.ConfigDef.Check.atLeast;
import static dev.sluice.broker.config.ConfigDef.Check.oneOf;

import java.util.Map;

/**
 * Kafka's broker keys for TLS and SASL, with Kafka's defaults. Each may also be given for one
 * listener as {@code listener.name.<listener>.<key>} (lower-case listener name), and the SASL
 * ones for one mechanism of one listener as {@code listener.name.<listener>.<mechanism>.<key>};
 * {@link BrokerConfig#forListener} resolves them.
 */
public final class SecurityConfigKeys {
    public static final String LISTENER_PREFIX = "listener.name.";

    public static final String SSL_KEYSTORE_TYPE = "ssl.keystore.type";
    public static final String SSL_KEYSTORE_LOCATION = "ssl.keystore.location";
    public static final String SSL_KEYSTORE_PASSWORD = "ssl.keystore.password";
    public static final String SSL_KEY_PASSWORD = "ssl.key.password";
    public static final String SSL_KEYSTORE_CERTIFICATE_CHAIN = "ssl.keystore.certificate.chain";
    public static final String SSL_KEYSTORE_KEY = "ssl.keystore.key";
    public static final String SSL_TRUSTSTORE_TYPE = "ssl.truststore.type";
    public static final String SSL_TRUSTSTORE_LOCATION = "ssl.truststore.location";
    public static final String SSL_TRUSTSTORE_PASSWORD = "ssl.truststore.password";
    public static final String SSL_TRUSTSTORE_CERTIFICATES = "ssl.truststore.certificates";
    public static final String SSL_CLIENT_AUTH = "ssl.client.auth";
    public static final String SSL_PROTOCOL = "ssl.protocol";
    public static final String SSL_ENABLED_PROTOCOLS = "ssl.enabled.protocols";
    public static final String SSL_CIPHER_SUITES = "ssl.cipher.suites";
    public static final String SSL_ENDPOINT_IDENTIFICATION_ALGORITHM = "ssl.endpoint.identification.algorithm";
    public static final String SSL_PRINCIPAL_MAPPING_RULES = "ssl.principal.mapping.rules";
    public static final String SSL_KEYMANAGER_ALGORITHM = "ssl.keymanager.algorithm";
    public static final String SSL_TRUSTMANAGER_ALGORITHM = "ssl.trustmanager.algorithm";

    public static final String AUTHORIZER_CLASS_NAME = "authorizer.class.name";
    public static final String SUPER_USERS = "super.users";
    public static final String ALLOW_EVERYONE_IF_NO_ACL_FOUND = "allow.everyone.if.no.acl.found";
    /** Kafka's KRaft authorizer; Sluice's authorizer has its semantics. */
    public static final String STANDARD_AUTHORIZER = "org.apache.kafka.metadata.authorizer.StandardAuthorizer";
    /** Kafka's ZooKeeper-era authorizer name, with the same ACL semantics. */
    public static final String ACL_AUTHORIZER = "kafka.security.authorizer.AclAuthorizer";

    public static final String QUOTA_WINDOW_NUM = "quota.window.num";
    public static final String QUOTA_WINDOW_SIZE_SECONDS = "quota.window.size.seconds";

    public static final String SASL_ENABLED_MECHANISMS = "sasl.enabled.mechanisms";
    public static final String SASL_MECHANISM_INTER_BROKER_PROTOCOL = "sasl.mechanism.inter.broker.protocol";
    public static final String SASL_JAAS_CONFIG = "sasl.jaas.config";
    public static final String SASL_SERVER_MAX_RECEIVE_SIZE = "sasl.server.max.receive.size";
    public static final String CONNECTIONS_MAX_REAUTH_MS = "connections.max.reauth.ms";
    public static final String CONNECTION_FAILED_AUTHENTICATION_DELAY_MS = "connection.failed.authentication.delay.ms";
    public static final String SASL_OAUTHBEARER_JWKS_ENDPOINT_URL = "sasl.oauthbearer.jwks.endpoint.url";
    public static final String SASL_OAUTHBEARER_JWKS_ENDPOINT_REFRESH_MS = "sasl.oauthbearer.jwks.endpoint.refresh.ms";
    public static final String SASL_OAUTHBEARER_EXPECTED_AUDIENCE = "sasl.oauthbearer.expected.audience";
    public static final String SASL_OAUTHBEARER_EXPECTED_ISSUER = "sasl.oauthbearer.expected.issuer";
    public static final String SASL_OAUTHBEARER_SUB_CLAIM_NAME = "sasl.oauthbearer.sub.claim.name";
    public static final String SASL_OAUTHBEARER_SCOPE_CLAIM_NAME = "sasl.oauthbearer.scope.claim.name";
    public static final String SASL_OAUTHBEARER_CLOCK_SKEW_SECONDS = "sasl.oauthbearer.clock.skew.seconds";

    public static final String DELEGATION_TOKEN_SECRET_KEY = "delegation.token.secret.key";
    public static final String DELEGATION_TOKEN_MAX_LIFETIME_MS = "delegation.token.max.lifetime.ms";
    public static final String DELEGATION_TOKEN_EXPIRY_TIME_MS = "delegation.token.expiry.time.ms";
    public static final String DELEGATION_TOKEN_EXPIRY_CHECK_INTERVAL_MS = "delegation.token.expiry.check.interval.ms";

    static void define(Map<String, ConfigDef> m) {
        BrokerConfigKeys.def(m, SSL_KEYSTORE_TYPE, ConfigType.STRING, "JKS", oneOf("jks", "pkcs12", "pem"), false,
            "Format of the key store: JKS, PKCS12 or PEM.");
        BrokerConfigKeys.def(m, SSL_KEYSTORE_LOCATION, ConfigType.STRING, null, NONE, false,
            "Key store file with this broker's private key and certificate chain.");
        BrokerConfigKeys.def(m, SSL_KEYSTORE_PASSWORD, ConfigType.PASSWORD, null, NONE, false,
            "Password of the key store file.");
        BrokerConfigKeys.def(m, SSL_KEY_PASSWORD, ConfigType.PASSWORD, null, NONE, false,
            "Password of the private key in the key store, or of an encrypted PEM key.");
        BrokerConfigKeys.def(m, SSL_KEYSTORE_CERTIFICATE_CHAIN, ConfigType.PASSWORD, null, NONE, false,
            "Certificate chain in PEM, given in the configuration itself (with ssl.keystore.type=PEM).");
        BrokerConfigKeys.def(m, SSL_KEYSTORE_KEY, ConfigType.PASSWORD, null, NONE, false,
            "PKCS#8 private key in PEM, given in the configuration itself (with ssl.keystore.type=PEM).");
        BrokerConfigKeys.def(m, SSL_TRUSTSTORE_TYPE, ConfigType.STRING, "JKS", oneOf("jks", "pkcs12", "pem"), false,
            "Format of the trust store: JKS, PKCS12 or PEM.");
        BrokerConfigKeys.def(m, SSL_TRUSTSTORE_LOCATION, ConfigType.STRING, null, NONE, false,
            "Trust store file with the certificates this broker trusts.");
        BrokerConfigKeys.def(m, SSL_TRUSTSTORE_PASSWORD, ConfigType.PASSWORD, null, NONE, false,
            "Password of the trust store file.");
        BrokerConfigKeys.def(m, SSL_TRUSTSTORE_CERTIFICATES, ConfigType.PASSWORD, null, NONE, false,
            "Trusted certificates in PEM, given in the configuration itself (with ssl.truststore.type=PEM).");
        BrokerConfigKeys.def(m, SSL_CLIENT_AUTH, ConfigType.STRING, "none", oneOf("none", "requested", "required"),
            false, "Whether TLS clients must (required) or may (requested) present a certificate.");
        BrokerConfigKeys.def(m, SSL_PROTOCOL, ConfigType.STRING, "TLSv1.3", NONE, false,
            "TLS protocol the context is created for.");
        BrokerConfigKeys.def(m, SSL_ENABLED_PROTOCOLS, ConfigType.LIST, "TLSv1.2,TLSv1.3", NONE, false,
            "TLS protocol versions accepted.");
        BrokerConfigKeys.def(m, SSL_CIPHER_SUITES, ConfigType.LIST, "", NONE, false,
            "Cipher suites accepted; empty means the TLS engine's defaults.");
        BrokerConfigKeys.def(m, SSL_ENDPOINT_IDENTIFICATION_ALGORITHM, ConfigType.STRING, "https", NONE, false,
            "How a broker connecting to another over TLS checks the host name against its certificate "
                + "(https); empty turns the check off.");
        BrokerConfigKeys.def(m, SSL_PRINCIPAL_MAPPING_RULES, ConfigType.STRING, "DEFAULT", NONE, false,
            "Rules mapping a client certificate's distinguished name to a user name: RULE:pattern/replacement/[LU], "
                + "comma-separated, ending in DEFAULT (the whole name).");
        BrokerConfigKeys.def(m, SSL_KEYMANAGER_ALGORITHM, ConfigType.STRING, "SunX509", NONE, false,
            "Key manager factory algorithm for key stores.");
        BrokerConfigKeys.def(m, SSL_TRUSTMANAGER_ALGORITHM, ConfigType.STRING, "PKIX", NONE, false,
            "Trust manager factory algorithm for trust stores.");

        BrokerConfigKeys.def(m, AUTHORIZER_CLASS_NAME, ConfigType.STRING, "", oneOf("", STANDARD_AUTHORIZER.toLowerCase(
                java.util.Locale.ROOT), ACL_AUTHORIZER.toLowerCase(java.util.Locale.ROOT)), false,
            "The authorizer: " + STANDARD_AUTHORIZER + " (or " + ACL_AUTHORIZER + ") enforces the cluster's ACLs; "
                + "empty allows every operation and refuses the ACL APIs with SECURITY_DISABLED.");
        BrokerConfigKeys.def(m, SUPER_USERS, ConfigType.STRING, "", NONE, false,
            "Principals allowed every operation whatever the ACLs say, separated by semicolons (User:admin;User:broker).");
        BrokerConfigKeys.def(m, ALLOW_EVERYONE_IF_NO_ACL_FOUND, ConfigType.BOOLEAN, "false", NONE, false,
            "Whether a resource no ACL names is open to everyone (otherwise only super users may use it).");
        BrokerConfigKeys.def(m, QUOTA_WINDOW_NUM, ConfigType.INT, "11", atLeast(1), false,
            "Samples client quota rates are measured over.");
        BrokerConfigKeys.def(m, QUOTA_WINDOW_SIZE_SECONDS, ConfigType.INT, "1", atLeast(1), false,
            "Length of one client quota sample.");
        BrokerConfigKeys.def(m, SASL_ENABLED_MECHANISMS, ConfigType.LIST, "GSSAPI", NONE, false,
            "SASL mechanisms offered on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, OAUTHBEARER "
                + "(GSSAPI is not served).");
        BrokerConfigKeys.def(m, SASL_MECHANISM_INTER_BROKER_PROTOCOL, ConfigType.STRING, "GSSAPI", NONE, false,
            "SASL mechanism brokers use with each other.");
        BrokerConfigKeys.def(m, SASL_JAAS_CONFIG, ConfigType.PASSWORD, null, NONE, false,
            "JAAS login configuration, in Kafka's LoginModule syntax; usually given per listener and mechanism.");
        BrokerConfigKeys.def(m, SASL_SERVER_MAX_RECEIVE_SIZE, ConfigType.INT, "524288", atLeast(1), false,
            "Largest request a client may send before it has authenticated.");
        BrokerConfigKeys.def(m, CONNECTIONS_MAX_REAUTH_MS, ConfigType.LONG, "0", atLeast(0), false,
            "Longest a SASL session lasts before the client must re-authenticate (KIP-368); 0 for no limit.");
        BrokerConfigKeys.def(m, CONNECTION_FAILED_AUTHENTICATION_DELAY_MS, ConfigType.INT, "100", atLeast(0), false,
            "Time a connection whose authentication failed is held before it is closed.");
        BrokerConfigKeys.def(m, SASL_OAUTHBEARER_JWKS_ENDPOINT_URL, ConfigType.STRING, null, NONE, false,
            "JWKS file (file:) or URL whose keys sign OAUTHBEARER tokens; unset, tokens are accepted unsigned "
                + "(Kafka's unsecured development mode).");
        BrokerConfigKeys.def(m, SASL_OAUTHBEARER_JWKS_ENDPOINT_REFRESH_MS, ConfigType.LONG, "3600000", atLeast(1), false,
            "How often the JWKS is read again, so that rotated signing keys are picked up.");
        BrokerConfigKeys.def(m, SASL_OAUTHBEARER_EXPECTED_AUDIENCE, ConfigType.LIST, "", NONE, false,
            "Audiences a signed OAUTHBEARER token must name one of; empty, any.");
        BrokerConfigKeys.def(m, SASL_OAUTHBEARER_EXPECTED_ISSUER, ConfigType.STRING, null, NONE, false,
            "Issuer a signed OAUTHBEARER token must name; unset, any.");
        BrokerConfigKeys.def(m, SASL_OAUTHBEARER_SUB_CLAIM_NAME, ConfigType.STRING, "sub", NONE, false,
            "Claim of a signed OAUTHBEARER token that names the principal.");
        BrokerConfigKeys.def(m, SASL_OAUTHBEARER_SCOPE_CLAIM_NAME, ConfigType.STRING, "scope", NONE, false,
            "Claim of a signed OAUTHBEARER token that lists its scopes.");
        BrokerConfigKeys.def(m, SASL_OAUTHBEARER_CLOCK_SKEW_SECONDS, ConfigType.INT, "30", atLeast(0), false,
            "Clock difference tolerated when checking a signed OAUTHBEARER token's times.");
        BrokerConfigKeys.def(m, DELEGATION_TOKEN_SECRET_KEY, ConfigType.PASSWORD, null, NONE, false,
            "Secret from which delegation tokens' HMACs are derived, the same on every node; unset, delegation "
                + "tokens are disabled (their APIs answer DELEGATION_TOKEN_AUTH_DISABLED).");
        BrokerConfigKeys.def(m, DELEGATION_TOKEN_MAX_LIFETIME_MS, ConfigType.LONG, "604800000", atLeast(1), false,
            "Longest a delegation token may live, renewals included.");
        BrokerConfigKeys.def(m, DELEGATION_TOKEN_EXPIRY_TIME_MS, ConfigType.LONG, "86400000", atLeast(1), false,
            "How long a delegation token lives from its creation or a renewal that names no period.");
        BrokerConfigKeys.def(m, DELEGATION_TOKEN_EXPIRY_CHECK_INTERVAL_MS, ConfigType.LONG, "3600000", atLeast(1), false,
            "How often the active controller removes expired delegation tokens.");
    }

    private SecurityConfigKeys() {
    }
}
