package dev.sluice.broker.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class SslPrincipalMapperTest {
    private static final String DN = "CN=Alice,OU=Eng,O=Corp,C=DE";

    @Test
    void defaultGivesTheWholeName() {
        assertEquals(Optional.of(DN), SslPrincipalMapper.parse("DEFAULT").map(DN));
        assertEquals(Optional.of(DN), SslPrincipalMapper.parse("").map(DN));
    }

    @Test
    void theFirstMatchingRuleWinsWithItsCaseFlag() {
        SslPrincipalMapper mapper = SslPrincipalMapper.parse(
            "RULE:^CN=(.*?),OU=Ops.*$/$1/, RULE:^CN=(.*?),OU=(.*?),.*$/$1@$2/L, DEFAULT");
        assertEquals(Optional.of("alice@eng"), mapper.map(DN));
        assertEquals(Optional.of("Bob"), mapper.map("CN=Bob,OU=Ops,O=Corp"));
        assertEquals(Optional.of("O=Corp"), mapper.map("O=Corp"));
        assertEquals(Optional.of("ALICE"), SslPrincipalMapper.parse("RULE:^CN=([^,]*).*$/$1/U").map(DN));
    }

    @Test
    void escapedSlashesBelongToThePattern() {
        SslPrincipalMapper mapper = SslPrincipalMapper.parse("RULE:^CN=(.*)\\/x,.*$/$1/");
        assertEquals(Optional.of("a"), mapper.map("CN=a/x,O=b"));
    }

    @Test
    void aNameNoRuleMatchesMapsToNothing() {
        assertEquals(Optional.empty(), SslPrincipalMapper.parse("RULE:^CN=root$/root/").map(DN));
    }

    @Test
    void malformedRulesAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse("RULE:^CN=(.*$/x"));
        assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse("RULE:(/$1/"));
        assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse("SOMETHING"));
        assertThrows(IllegalArgumentException.class, () -> SslPrincipalMapper.parse("DEFAULT RULE:a/b/"));
    }
}
