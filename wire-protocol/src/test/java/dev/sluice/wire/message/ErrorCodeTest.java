package dev.sluice.wire.message;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.apache.kafka.common.protocol.Errors;
import org.junit.jupiter.api.Test;

class ErrorCodeTest {
    @Test
    void everyKafkaErrorCodeHasTheSameNameAndNumber() {
        for (Errors kafka : Errors.values()) {
            ErrorCode ours = ErrorCode.forCode(kafka.code());
            assertEquals(kafka.name(), ours.name(), "code " + kafka.code());
            assertEquals(kafka.code(), ours.code());
        }
        assertEquals(Errors.values().length, ErrorCode.values().length, "same number of codes");
    }

    @Test
    void responsesReportEveryNestedErrorCode() {
        ProduceResponse response = new ProduceResponse().setResponses(new java.util.ArrayList<>(java.util.List.of(
            new ProduceResponse.TopicProduceResponse().setPartitionResponses(new java.util.ArrayList<>(java.util.List.of(
                new ProduceResponse.PartitionProduceResponse().setErrorCode(ErrorCode.NOT_LEADER_OR_FOLLOWER.code()),
                new ProduceResponse.PartitionProduceResponse().setErrorCode(ErrorCode.MESSAGE_TOO_LARGE.code())))))));
        java.util.List<Integer> seen = new java.util.ArrayList<>();
        response.forEachErrorCode(seen::add);
        assertEquals(java.util.List.of(6, 10), seen);

        java.util.List<Integer> top = new java.util.ArrayList<>();
        new ApiVersionsResponse().setErrorCode((short) 35).forEachErrorCode(top::add);
        assertEquals(java.util.List.of(35), top);
    }
}
