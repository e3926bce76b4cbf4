// libmosquitto, the MQTT client library of the intake module's MQTT sources (apt: libmosquitto-dev).
#include <mosquitto.h>
#include <mqtt_protocol.h>
